"""The session file: SQLite (WAL) holding events, proposals, decisions and progress.

Events and decisions commit with synchronous=FULL before the call returns, so whatever the console shows
as done survives a kill -9 or a power cut. Proposals and the playback position can be derived again by
replaying the audio, so they go through a second connection with synchronous=NORMAL (no fsync on the
GUI thread every second); the next FULL commit makes them durable too.
"""
from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from core.errors import InputError
from core.model import LoggedEvent

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY, type TEXT NOT NULL, t_logged REAL NOT NULL,
    arrived_n INTEGER NOT NULL, extra TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS proposals (
    event_id TEXT NOT NULL REFERENCES events(id), revision INTEGER NOT NULL,
    n INTEGER, confidence REAL NOT NULL, basis TEXT NOT NULL, at_n INTEGER NOT NULL, detail TEXT NOT NULL,
    PRIMARY KEY (event_id, revision));
CREATE TABLE IF NOT EXISTS decisions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL REFERENCES events(id),
    action TEXT NOT NULL, operator TEXT NOT NULL, wall TEXT NOT NULL, media_n INTEGER NOT NULL,
    status_before TEXT NOT NULL, n_before INTEGER, status_after TEXT NOT NULL, n_after INTEGER,
    undoes INTEGER REFERENCES decisions(seq));
"""


@dataclass(frozen=True, slots=True)
class Decision:
    """One operator (or policy) decision on one event: who, when, and the state before and after."""

    seq: int
    event_id: str
    action: str
    operator: str
    wall: str
    media_n: int
    status_before: str
    n_before: int | None
    status_after: str
    n_after: int | None
    undoes: int | None = None


@dataclass(frozen=True, slots=True)
class StoredProposal:
    """A proposal as the session file keeps it; ``detail`` holds alternatives and reasons as JSON."""

    event_id: str
    revision: int
    n: int | None
    confidence: float
    basis: str
    at_n: int
    detail: dict


class SessionStore:
    """One session file. Not thread-safe: use it from one thread (the GUI thread in the console)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(SCHEMA)
            self._lazy = sqlite3.connect(str(self.path), isolation_level=None)
            self._lazy.execute("PRAGMA synchronous=NORMAL")
            self._lazy.execute("PRAGMA busy_timeout=5000")
        except (sqlite3.DatabaseError, OSError) as exc:
            raise InputError(str(path), f"cannot open session file ({exc})") from None

    def close(self) -> None:
        """Close the file (everything is already committed)."""
        self._lazy.close()
        self._db.close()

    # --- meta and progress -------------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        """A stored setting of this session (source, operator, position...)."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        """Store one setting of this session."""
        self._db.execute("INSERT INTO meta(key, value) VALUES (?, ?) "
                         "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))

    def set_position(self, n: int) -> None:
        """Remember how far the session has played (media sample), without waiting for the disk."""
        self._lazy.execute("INSERT INTO meta(key, value) VALUES ('position', ?) "
                           "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (str(n),))

    # --- events and proposals ----------------------------------------------------------------
    def add_event(self, event: LoggedEvent, arrived_n: int) -> bool:
        """Store a logged event once; False when its id is already stored (a replay after restart)."""
        cur = self._db.execute(
            "INSERT OR IGNORE INTO events(id, type, t_logged, arrived_n, extra) VALUES (?, ?, ?, ?, ?)",
            (event.id, event.type, event.t, arrived_n, json.dumps(event.extra)))
        return cur.rowcount == 1

    def put_events(self, events: list[LoggedEvent], arrived_n: int) -> None:
        """Store new events and corrections of stored ones (same id) in one transaction: many events
        arriving at once cost one fsync, not one each."""
        with _transaction(self._db):
            for event in events:
                if not self.add_event(event, arrived_n):
                    self.revise_event(event)

    def revise_event(self, event: LoggedEvent) -> None:
        """A logger corrected an event (same id): keep the newest type, time and fields."""
        self._db.execute("UPDATE events SET type = ?, t_logged = ?, extra = ? WHERE id = ?",
                         (event.type, event.t, json.dumps(event.extra), event.id))

    def events(self) -> list[tuple[LoggedEvent, int]]:
        """Every stored event with the media sample at which it arrived, in arrival order."""
        rows = self._db.execute("SELECT id, type, t_logged, extra, arrived_n FROM events ORDER BY rowid")
        return [(LoggedEvent(i, ty, t, json.loads(x)), n) for i, ty, t, x, n in rows]

    def add_proposal(self, p: StoredProposal) -> bool:
        """Store one revision of a proposal once; False when that revision is already stored."""
        cur = self._lazy.execute(
            "INSERT OR IGNORE INTO proposals(event_id, revision, n, confidence, basis, at_n, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (p.event_id, p.revision, p.n, p.confidence, p.basis, p.at_n, json.dumps(p.detail)))
        return cur.rowcount == 1

    def put_proposals(self, proposals: list[StoredProposal]) -> None:
        """Store proposals (each revision once) in one transaction: a re-solve revising thousands takes the
        file's lock once."""
        with _transaction(self._lazy):
            for p in proposals:
                self.add_proposal(p)

    def latest_proposals(self) -> dict[str, StoredProposal]:
        """The newest stored revision of each event's proposal."""
        rows = self._db.execute(
            "SELECT event_id, revision, n, confidence, basis, at_n, detail FROM proposals "
            "ORDER BY event_id, revision")
        return {r[0]: StoredProposal(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6])) for r in rows}

    def first_proposal_at(self) -> dict[str, int]:
        """Media sample at which each event's first proposal appeared (its deadline starts there)."""
        rows = self._db.execute("SELECT event_id, MIN(at_n) FROM proposals GROUP BY event_id")
        return dict(rows.fetchall())

    # --- decisions ---------------------------------------------------------------------------
    def record(self, d: Decision) -> Decision:
        """Write a decision durably and return it with its sequence number."""
        cur = self._db.execute(
            "INSERT INTO decisions(event_id, action, operator, wall, media_n, status_before, n_before, "
            "status_after, n_after, undoes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (d.event_id, d.action, d.operator, d.wall, d.media_n, d.status_before, d.n_before,
             d.status_after, d.n_after, d.undoes))
        return Decision(cur.lastrowid, *(getattr(d, f) for f in Decision.__slots__[1:]))

    def decisions(self) -> list[Decision]:
        """Every decision in the order it was made."""
        rows = self._db.execute(
            "SELECT seq, event_id, action, operator, wall, media_n, status_before, n_before, status_after, "
            "n_after, undoes FROM decisions ORDER BY seq")
        return [Decision(*r) for r in rows]


@contextlib.contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    db.execute("BEGIN")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
