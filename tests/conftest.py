"""Shared test setup: Qt offscreen, paths to the shared field recordings."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The read-only field recordings (../shared/data); tests that need them fail loudly if absent."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"field recordings not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def screenshots(tmp_path) -> Path:
    """Where tests save the screenshots they take: ``tmp_path``, or the folder named by
    MATCHSYNC_SCREENSHOTS (``MATCHSYNC_SCREENSHOTS=docs pytest ...`` refreshes the README's pictures)."""
    folder = os.environ.get("MATCHSYNC_SCREENSHOTS")
    if not folder:
        return tmp_path
    path = Path(folder).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path
