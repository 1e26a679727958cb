"""Export: a real session file (events, proposal revisions, decisions, outbox) to JSONL and CSV, by the
library and by `matchsync export`."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

from core.model import LoggedEvent
from core.publish.message import provisional
from core.publish.outbox import Outbox
from core.session.book import EventBook
from core.session.export import export_session
from core.session.store import SessionStore, StoredProposal

ROOT = Path(__file__).resolve().parents[1]


def make_session(path: Path) -> list:
    """Two events, two proposal revisions, accept / nudge / undo by an operator, two publications."""
    store = SessionStore(path)
    book = EventBook(store, "alice", lambda t: int(t * 16000))
    book.add_event(LoggedEvent("ev-1", "foul", 6.0, {"team": "home, \"A\""}), 96000)
    book.add_event(LoggedEvent("ev-2", "goal", 9.5, {}), 152000)
    book.add_proposal(StoredProposal("ev-1", 1, 64000, 0.7, "whistle", 97000, {"why": "first"}))
    book.add_proposal(StoredProposal("ev-1", 2, 64100, 0.9, "whistle", 99000, {"why": "revised"}))
    book.add_proposal(StoredProposal("ev-2", 1, 140000, 0.5, "surge", 153000, {"why": "crowd"}))
    book.head_n = 160000
    book.accept("ev-1")
    book.nudge("ev-2", 1600)
    book.undo()
    outbox = Outbox(path, "match-1")
    outbox.append([provisional(LoggedEvent("ev-1", "foul", 6.0, {}), 6.2)])
    outbox.append([provisional(LoggedEvent("ev-1", "foul", 6.0, {}), 4.0)])
    outbox.close()
    decisions = store.decisions()
    store.close()
    return decisions


def test_jsonl_holds_every_record_with_who_when_before_after(tmp_path: Path) -> None:
    session = tmp_path / "s.sqlite"
    decisions = make_session(session)
    counts = export_session(session, tmp_path / "out.jsonl")
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert counts == {k: sum(r["kind"] == k for r in records) for k in counts}
    events = [r for r in records if r["kind"] == "event"]
    assert [e["event_id"] for e in events] == ["ev-1", "ev-2"]
    assert events[0]["extra"] == {"team": "home, \"A\""}
    assert [(p["event_id"], p["revision"]) for p in records if p["kind"] == "proposal"] == \
        [("ev-1", 1), ("ev-1", 2), ("ev-2", 1)]
    got = [r for r in records if r["kind"] == "decision"]
    assert len(got) == len(decisions) == 3
    for r, d in zip(got, decisions):
        assert (r["seq"], r["event_id"], r["action"], r["operator"], r["wall"], r["status_before"],
                r["n_before"], r["status_after"], r["n_after"], r["undoes"]) == \
            (d.seq, d.event_id, d.action, d.operator, d.wall, d.status_before, d.n_before, d.status_after,
             d.n_after, d.undoes)
    assert got[1]["n_after"] == 141600 and got[2]["undoes"] == got[1]["seq"]
    pubs = [r for r in records if r["kind"] == "publication"]
    assert [(p["seq"], p["revision"], p["t"]) for p in pubs] == [(1, 1, 6.2), (2, 2, 4.0)]


def test_csv_has_one_row_per_record_and_round_trips_fields(tmp_path: Path) -> None:
    session = tmp_path / "s.sqlite"
    make_session(session)
    export_session(session, tmp_path / "out.jsonl")
    export_session(session, tmp_path / "out.csv")
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    with (tmp_path / "out.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(records)
    for row, rec in zip(rows, records):
        assert row["kind"] == rec["kind"]
        for key, value in rec.items():
            expected = "" if value is None else json.dumps(value) if isinstance(value, (dict, list)) else str(value)
            assert row[key] == expected, key


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.main", "export", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)


def test_cli_exports_and_rejects_bad_input_with_one_line(tmp_path: Path) -> None:
    session = tmp_path / "s.sqlite"
    make_session(session)
    done = run_cli(str(session), "--out", str(tmp_path / "x.csv"))
    assert done.returncode == 0, done.stderr
    assert "decision=3" in done.stderr and (tmp_path / "x.csv").stat().st_size > 0
    for args, needle in [((str(tmp_path / "missing.sqlite"), "--out", str(tmp_path / "y.jsonl")), "not found"),
                         ((str(session), "--out", str(tmp_path / "y.txt")), ".jsonl or .csv")]:
        bad = run_cli(*args)
        assert bad.returncode == 2 and needle in bad.stderr
        assert len(bad.stderr.strip().splitlines()) == 1 and "Traceback" not in bad.stderr
    (tmp_path / "junk.sqlite").write_text("not sqlite at all " * 100)
    bad = run_cli(str(tmp_path / "junk.sqlite"), "--out", str(tmp_path / "z.jsonl"))
    assert bad.returncode == 2 and "not a session file" in bad.stderr
