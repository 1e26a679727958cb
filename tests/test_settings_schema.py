"""Settings files carry a schema version: old files are migrated, files from a newer MatchSync refused."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from app.settings import ConsoleSettings, load_settings, save_settings
from core.errors import InputError
from core.settings_schema import MIGRATIONS, SCHEMA_VERSION, load_versioned

ROOT = Path(__file__).resolve().parents[1]

# What the console wrote before files carried a version (app/settings.py at 35cf85e): every field, flat.
VERSION_1_FILE = {"auto_accept": 0.93, "deadline_s": None, "fps": "29.97", "fft_size": 1024,
                  "db_floor": -100.0, "db_ceiling": -30.0, "window_s": 20.0}


def test_every_older_version_has_a_migration() -> None:
    assert sorted(MIGRATIONS) == list(range(1, SCHEMA_VERSION))


def test_a_version_1_file_is_migrated_with_every_value_kept(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(VERSION_1_FILE))
    settings = load_settings(path)
    assert asdict(settings) == VERSION_1_FILE
    assert json.loads(path.read_text()) == VERSION_1_FILE, "loading must not rewrite the file"

    save_settings(path, replace(settings, window_s=45.0))
    saved = json.loads(path.read_text())
    assert saved["schema"] == SCHEMA_VERSION
    assert load_settings(path) == replace(settings, window_s=45.0)
    assert [p.name for p in tmp_path.iterdir()] == ["settings.json"], "no temporary file left behind"


def test_the_current_version_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "config" / "settings.json"
    chosen = ConsoleSettings(auto_accept=0.95, deadline_s=30.0, fps="50", fft_size=2048)
    save_settings(path, chosen)
    assert load_versioned(path) == {"console": asdict(chosen)}
    assert load_settings(path) == chosen


@pytest.mark.parametrize("text", ["", "{not json", "[1, 2]", '"text"', '{"schema": 2, "console": 7}'])
def test_missing_or_unreadable_settings_give_the_defaults(tmp_path: Path, text: str) -> None:
    path = tmp_path / "settings.json"
    assert load_settings(path) == ConsoleSettings()
    path.write_text(text)
    assert load_settings(path) == ConsoleSettings()


@pytest.mark.parametrize("version", [SCHEMA_VERSION + 1, 0, "2", 2.5, True])
def test_an_unknown_version_is_refused_naming_the_file(tmp_path: Path, version: object) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"schema": version, "console": {"fps": "50"}}))
    with pytest.raises(InputError) as caught:
        load_settings(path)
    assert caught.value.where == str(path)
    assert "schema" in caught.value.problem
    assert json.loads(path.read_text())["schema"] == version, "a refused file is left as it was"


def test_the_console_refuses_a_newer_settings_file_in_one_line(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "settings.json").write_text(json.dumps({"schema": SCHEMA_VERSION + 1, "console": {}}))
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, "-m", "app.main", "console", "--session", str(tmp_path / "s.sqlite"),
                           "--config", str(config)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"matchsync console: {config / 'settings.json'}: ")
    assert f"schema {SCHEMA_VERSION + 1}" in lines[0] and "newer MatchSync" in lines[0]
