"""Versioned settings files: JSON stamped ``"schema": N``, brought up to date by a chain of migrations.

Version 1 is the console's first format, written before files carried a version: a flat object of
console settings. Version 2 keeps them under ``"console"``, so the file says whose settings it holds
and other parts of MatchSync can add sections of their own without clashing names.

A file written by a newer MatchSync is refused (InputError) rather than misread or overwritten.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from core.files import write_text_atomic
from core.errors import InputError

SCHEMA_VERSION = 2
"""The version this MatchSync writes."""


def _v1_to_v2(doc: dict) -> dict:
    return {"console": doc}


MIGRATIONS: dict[int, Callable[[dict], dict]] = {1: _v1_to_v2}
"""``MIGRATIONS[n]`` turns a version-n document (without its ``schema`` stamp) into version n + 1."""


def migrate(doc: dict) -> dict:
    """A parsed settings document brought to SCHEMA_VERSION, without its stamp; ValueError for a version
    this MatchSync does not know (newer, or not a positive integer)."""
    version = doc.get("schema", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"settings schema version {version!r} is not a positive integer")
    if version > SCHEMA_VERSION:
        raise ValueError(f"settings written by a newer MatchSync (schema {version}; this one reads up to "
                         f"{SCHEMA_VERSION}): update MatchSync or move the file away")
    body = {k: v for k, v in doc.items() if k != "schema"}
    for n in range(version, SCHEMA_VERSION):
        body = MIGRATIONS[n](body)
    return body


def load_versioned(path: Path) -> dict:
    """The settings saved at ``path`` in the current schema; {} when there is no file or it is not a JSON
    object (the caller falls back to defaults). InputError when the version cannot be read safely."""
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(doc, dict):
        return {}
    try:
        return migrate(doc)
    except ValueError as exc:
        raise InputError(str(path), str(exc)) from None


def save_versioned(path: Path, body: dict) -> None:
    """Write ``body`` stamped with SCHEMA_VERSION, replacing the file atomically (never half-written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps({"schema": SCHEMA_VERSION, **body}, indent=1))
