"""The console's session writer: the intake's events overtake the proposals waiting to be written, and
every proposal still reaches the file."""
from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from app.session_writer import PROPOSAL_CHUNK, SessionWriter
from core.model import LoggedEvent
from core.session.store import SessionStore, StoredProposal


def test_events_overtake_waiting_proposals_and_every_proposal_is_stored(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    SessionStore(path).close()
    writer = SessionWriter(path)
    order: list[str] = []
    gate = threading.Event()
    writer.run(lambda: gate.wait(5) and order.append("held"))  # the thread is busy while the rest queue up
    proposals = [StoredProposal(f"ev-{i}", 0, 1000 + i, 0.5, "whistle", 2000, {"why": "test"})
                 for i in range(3 * PROPOSAL_CHUNK + 7)]
    writer.put_proposals(proposals)
    writer.set_position(123)
    stored = writer.run(writer.store.put_events, [LoggedEvent("ev-0", "foul", 1.0)], 500)
    writer.run(lambda: order.append(f"event stored, {count(path, 'proposals')} proposals"))
    gate.set()
    stored.result(5)
    writer.close()
    assert order == ["held", "event stored, 0 proposals"]  # it did not wait behind them
    assert count(path, "proposals") == len(proposals)
    assert count(path, "events") == 1
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'position'").fetchone() == ("123",)
    writer.close()  # closing twice does nothing


def count(path: Path, table: str) -> int:
    with sqlite3.connect(path) as db:
        return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
