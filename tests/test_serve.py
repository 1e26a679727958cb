"""`matchsync serve` as a process: a short simulated match with a JSONL sink and loggers on the TCP
intake; provisional then confirmed/corrected revisions, a gap-free outbox, a clean stop on SIGTERM,
and one-line errors for bad arguments."""
from __future__ import annotations

import json
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.cli import main as cli_main
from core.session.store import SessionStore
from core.sim.match import build_match, write_match

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "s3cret"
SEED, MINUTES = 5, 1.5


@pytest.fixture(scope="module")
def simulated(tmp_path_factory) -> Path:
    """The simulated match of the demo source as files: match.wav, logged.jsonl, truth.jsonl."""
    return write_match(build_match(SEED, MINUTES), str(tmp_path_factory.mktemp("match")))


def start_serve(tmp_path: Path, *extra: str, source: str = f"demo:{SEED}:{MINUTES}") -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "app.main", "serve", "--source", source,
         "--sink", f"jsonl:{tmp_path / 'out.jsonl'}", "--session", str(tmp_path / "s.sqlite"),
         "--status", str(tmp_path / "status.json"), *extra],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_line(proc: subprocess.Popen, words: str, timeout_s: float = 30.0) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if words in line:
            return line
        if not line and proc.poll() is not None:
            break
    raise AssertionError(f"serve never printed {words!r} (stderr: {proc.stderr.read()[-500:]})")


def outbox_seqs(path: Path) -> list[int]:
    with sqlite3.connect(path) as db:
        return [s for (s,) in db.execute("SELECT seq FROM outbox ORDER BY seq")]


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_serve_publishes_provisional_then_decided_revisions(tmp_path, simulated):
    proc = start_serve(tmp_path, "--speed", "12", "--intake-port", "0", "--token", TOKEN,
                       "--deadline", "3")
    try:
        address = wait_line(proc, "intake tcp").split()[-1]
        host, port = address.rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            reader = sock.makefile("r")
            def send(obj) -> dict:
                sock.sendall((json.dumps(obj) + "\n").encode())
                return json.loads(reader.readline())
            assert send({"hello": "desk-2", "token": TOKEN}) == {"welcome": "desk-2"}
            assert send({"id": "net-1", "type": "foul", "t": 30.0}) == {"ack": "net-1", "revision": 1}
            assert send({"id": "net-1", "type": "foul", "t": 30.0})["resend"] is True
            assert send({"id": "net-2", "type": "corner", "t": "soon"})["field"] == "t"
            assert send({"id": "net-3", "type": "corner", "t": 45.5}) == {"ack": "net-3", "revision": 1}
        assert proc.wait(timeout=60) == 0, proc.stderr.read()
    finally:
        proc.kill()
    pubs = read_jsonl(tmp_path / "out.jsonl")
    assert [p["seq"] for p in pubs] == list(range(1, len(pubs) + 1))
    assert outbox_seqs(tmp_path / "s.sqlite") == [p["seq"] for p in pubs]
    store = SessionStore(tmp_path / "s.sqlite")
    stored = [e.id for e, _ in store.events()]
    assert store.get_meta("finished") == "1"
    store.close()
    logged = {e["id"] for e in read_jsonl(simulated / "logged.jsonl")}
    assert set(stored) == logged | {"net-1", "net-3"}
    by_id: dict[str, list[dict]] = {}
    for p in pubs:
        by_id.setdefault(p["id"], []).append(p)
    assert set(by_id) == set(stored)
    truth = {e["id"]: e["t"] for e in read_jsonl(simulated / "truth.jsonl")}
    decided = 0
    for eid, revs in by_id.items():
        assert [r["revision"] for r in revs] == list(range(1, len(revs) + 1))
        assert revs[0]["status"] == "provisional" and revs[0]["basis"] == "clock"
        assert all(r["status"] in ("confirmed", "corrected") for r in revs[1:])
        decided += len(revs) > 1
        if eid in truth:  # the provisional time is never a spoiler
            assert revs[0]["t"] >= truth[eid] - 0.5, (eid, revs[0]["t"], truth[eid])
    assert decided >= len(logged)  # every simulated event got a decision
    assert by_id["net-1"][0]["logger"] == "desk-2"
    status = json.loads((tmp_path / "status.json").read_text())["sessions"][0]
    assert status["state"] == "finished" and status["undelivered"] == 0
    assert status["published"] == len(pubs)


def test_sigterm_stops_cleanly_with_everything_delivered(tmp_path, simulated):
    proc = start_serve(tmp_path, "--speed", "4", "--events", str(simulated / "logged.jsonl"),
                       source=str(simulated / "match.wav"))
    try:
        wait_line(proc, " live")
        jsonl = tmp_path / "out.jsonl"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (not jsonl.exists() or not jsonl.read_text()):
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        t0 = time.monotonic()
        assert proc.wait(timeout=30) == 0, proc.stderr.read()
        stop_s = time.monotonic() - t0
        out = proc.stdout.read()
    finally:
        proc.kill()
    assert "finished (stopped)" in out
    pubs = read_jsonl(jsonl)
    assert pubs and outbox_seqs(tmp_path / "s.sqlite") == [p["seq"] for p in pubs]
    print(f"stopped {stop_s:.2f} s after SIGTERM with {len(pubs)} publications delivered")


@pytest.mark.parametrize("args, words", [
    (["--source", "demo", "--schedule", "x.csv"], "exactly one of --source or --schedule"),
    ([], "exactly one of --source or --schedule"),
    (["--source", "missing.wav"], "missing.wav: source file not found"),
    (["--source", "demo:x"], "demo:SEED"),
    (["--source", "demo", "--intake-port", "0"], "needs a token"),
    (["--source", "demo", "--sink", "kafka:x"], "kafka:x"),
    (["--source", "demo", "--sink", "ws:9000"], "needs a token"),
    (["--source", "demo", "--speed", "0"], "--speed"),
    (["--source", "demo", "--speed", "fast"], "invalid float value"),
    (["--source", "demo", "--auto-accept", "2"], "--auto-accept"),
    (["--schedule", "nope.ics"], "nope.ics: schedule file not found"),
    (["--source", "demo", "--events", "nope.jsonl"], "nope.jsonl: events file not found"),
])
def test_bad_arguments_give_one_line_and_exit_2(args, words, capsys):
    try:
        code = cli_main(["serve", *args])
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err.strip()
    assert code == 2 and words in err and "\n" not in err and err.startswith("matchsync serve: ")


def test_killed_serve_resumes_and_publishes_what_it_had_stored(tmp_path, simulated):
    """kill -9 mid-match, then the same command again: the session catches up, every event is
    published provisional once and decided, and the outbox stays gap-free."""
    args = ("--speed", "12", "--deadline", "3", "--intake-ws-port", "0", "--token", TOKEN,
            "--events", str(simulated / "logged.jsonl"))
    source = str(simulated / "match.wav")
    proc = start_serve(tmp_path, *args, source=source)
    try:
        wait_line(proc, "intake ws")
        jsonl = tmp_path / "out.jsonl"
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and (not jsonl.exists() or len(jsonl.read_text().splitlines()) < 2):
            time.sleep(0.05)
        time.sleep(1.2)  # past the first save of the position
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        proc.kill()
    before = SessionStore(tmp_path / "s.sqlite")
    position = int(before.get_meta("position", "0"))
    before.close()
    assert position > 0
    proc = start_serve(tmp_path, *args, source=source)
    try:
        assert proc.wait(timeout=60) == 0, proc.stderr.read()
    finally:
        proc.kill()
    pubs = read_jsonl(tmp_path / "out.jsonl")
    seqs = sorted({p["seq"] for p in pubs})
    assert seqs == outbox_seqs(tmp_path / "s.sqlite") == list(range(1, len(seqs) + 1))
    store = SessionStore(tmp_path / "s.sqlite")
    stored = {e.id for e, _ in store.events()}
    store.close()
    statuses: dict[str, list[str]] = {}
    for p in {p["seq"]: p for p in pubs}.values():  # a JSONL line may repeat after the kill: by seq
        statuses.setdefault(p["id"], []).append(p["status"])
    assert set(statuses) == stored == {e["id"] for e in read_jsonl(simulated / "logged.jsonl")}
    for eid, seen in statuses.items():
        assert seen.count("provisional") == 1 and seen[0] == "provisional", (eid, seen)
        assert seen[-1] in ("confirmed", "corrected"), (eid, seen)
    print(f"killed at media sample {position}; {len(seqs)} publications after the restart")


async def test_hard_limit_stops_a_file_session_and_decides_what_is_pending(tmp_path):
    import numpy as np
    import soundfile as sf

    from core.serve.clock import Clock
    from core.serve.session import MatchSession, SessionConfig

    rng = np.random.default_rng(1)
    sf.write(tmp_path / "bed.wav", (0.01 * rng.standard_normal(48000 * 60)).astype(np.float32), 48000)
    (tmp_path / "logged.jsonl").write_text(
        '{"id": "a", "type": "throw_in", "t": 0.5}\n{"id": "b", "type": "corner", "t": 0.9}\nnot json\n')
    config = SessionConfig(name="bed", source=str(tmp_path / "bed.wav"), session_path=tmp_path / "s.sqlite",
                           sinks=(f"jsonl:{tmp_path / 'out.jsonl'}",), events=str(tmp_path / "logged.jsonl"),
                           deadline_s=None, auto_accept=None, hard_limit_s=1.5)
    report = await MatchSession(config, Clock()).run()
    assert report.state == "finished" and report.reason == "hard limit", report
    assert 1.5 <= (report.stopping - report.live).total_seconds() <= 2.5
    assert 1.0 <= report.media_s <= 3.0  # played at live pace until the limit
    pubs = read_jsonl(tmp_path / "out.jsonl")
    assert [(p["id"], p["status"]) for p in pubs][:2] == [("a", "provisional"), ("b", "provisional")]
    assert {p["id"] for p in pubs[2:]} == {"a", "b"}  # decided when the session ended
    assert report.events == 2 and report.undelivered == 0
