"""kill -9 during the demo, then restart: every decision made before the kill is there, nothing twice."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from core.sim.match import build_match

ROOT = Path(__file__).resolve().parents[1]
SEED, MINUTES = 3, 3.0


def console(tmp_path: Path) -> subprocess.Popen:
    """The console on a short demo at 20x pace, accepting every proposal by policy as it appears."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.Popen(
        [sys.executable, "-m", "app.main", "console", "--source", "demo", "--seed", str(SEED),
         "--minutes", str(MINUTES), "--speed", "20", "--auto-accept", "0", "--exit-at-end",
         "--session", str(tmp_path / "session.sqlite"), "--config", str(tmp_path / "config"),
         "--operator", "bob"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def decisions(db_path: Path) -> list[tuple]:
    try:
        with sqlite3.connect(db_path) as db:
            return db.execute("SELECT seq, event_id, action, operator, wall, status_after, n_after "
                              "FROM decisions ORDER BY seq").fetchall()
    except sqlite3.OperationalError:  # not created yet
        return []


def test_kill_9_then_restart_keeps_every_decision_once(tmp_path: Path) -> None:
    db_path = tmp_path / "session.sqlite"
    first = console(tmp_path)
    deadline = time.monotonic() + 180
    while len(decisions(db_path)) < 3 and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    before_kill = decisions(db_path)
    assert len(before_kill) >= 3, first.stderr.read().decode()

    second = console(tmp_path)
    assert second.wait(300) == 0, second.stderr.read().decode()
    after = decisions(db_path)
    assert after[:len(before_kill)] == before_kill  # nothing lost, nothing rewritten
    decided = [d[1] for d in after]
    assert len(decided) == len(set(decided)), "an event was decided twice"
    with sqlite3.connect(db_path) as db:
        events = [r[0] for r in db.execute("SELECT id FROM events")]
        assert db.execute("SELECT value FROM meta WHERE key = 'finished'").fetchone() == ("1",)
    logged = {e.id for e in build_match(SEED, MINUTES).logged}
    assert sorted(events) == sorted(logged)
    assert sorted(decided) == sorted(events)  # the policy decided every event exactly once
    assert len(after) > len(before_kill)  # the restarted console carried on deciding
