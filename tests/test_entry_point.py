"""`matchsync` sends console options to the console and command names to the batch commands."""
from __future__ import annotations

import os
import subprocess
import sys

from conftest import ROOT


def run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-m", "app.main", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_a_leading_console_option_opens_the_console(tmp_path):
    missing = str(tmp_path / "nope.wav")
    for args in (["--sink", "ws:0", "--source", missing], ["--intake-token", "t", "--source", missing]):
        proc = run(*args, "--session", str(tmp_path / "s.sqlite"), "--config", str(tmp_path / "cfg"))
        assert proc.returncode == 2
        assert proc.stderr.strip().startswith("matchsync console: ")  # the console's own one-line error


def test_a_command_name_runs_the_batch_command_and_help_lists_them():
    proc = run("score")
    assert proc.returncode == 2 and "--truth" in proc.stderr
    listing = run("--help")
    assert listing.returncode == 0 and "detect" in listing.stdout and "simulate" in listing.stdout
