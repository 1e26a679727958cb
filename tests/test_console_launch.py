"""The console as a user starts it: bad input says so in one line; no sound device keeps the console up."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def start(tmp_path: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PULSE_SERVER": "unix:/nonexistent/socket"}
    return subprocess.Popen([sys.executable, "-m", "app.main", *args, "--session", str(tmp_path / "s.sqlite"),
                             "--config", str(tmp_path / "config")], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def test_missing_media_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    proc = start(tmp_path, "--source", str(tmp_path / "nope.mp4"))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert err.strip().splitlines() == [f"matchsync console: {tmp_path / 'nope.mp4'}: file not found"]


def test_missing_events_file_is_one_line_and_exit_2(tmp_path: Path, shared_data: Path) -> None:
    audio = shared_data / "sfx" / "tuxfootball" / "refwhistleshort.wav"
    proc = start(tmp_path, "console", "--source", str(audio), "--events", str(tmp_path / "none.jsonl"))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "none.jsonl: events file not found" in err and len(err.strip().splitlines()) == 1


def test_a_websocket_feed_sink_without_a_token_is_one_line_and_exit_2(tmp_path: Path, shared_data: Path) -> None:
    audio = shared_data / "sfx" / "tuxfootball" / "refwhistleshort.wav"
    proc = start(tmp_path, "--source", str(audio), "--sink", "ws:0")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert err.strip().splitlines() == ["matchsync console: --sink: a WebSocket feed sink needs a token for its "
                                        "clients (--intake-token SECRET)"]


def test_no_sound_device_says_so_and_the_console_stays_up(tmp_path: Path) -> None:
    proc = start(tmp_path, "--source", "device:no-such-card")
    try:
        line = proc.stderr.readline()
        assert "device: no 'no-such-card' sound input device found" in line
        time.sleep(3)
        assert proc.poll() is None, "the console closed"
    finally:
        proc.kill()
        proc.wait(10)
