"""The outbox: every publication, durably, in one gap-free sequence per session, plus sink cursors.

SQLite in WAL mode with ``synchronous=FULL``: ``append`` returns only once its transaction is on disk,
so no sink can see a message that a crash could take back. The sequence number is computed inside the
same write transaction as ``max(seq) + 1``, never from an autoincrement, so a rolled-back or
crashed append leaves no gap. The tables (``outbox``, ``sink_cursor``) may share a database file with
the session store.
"""
from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

from core.clock import MediaClock
from core.publish.message import Draft, Publication, publication

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    session TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL, revision INTEGER NOT NULL,
    body TEXT NOT NULL, PRIMARY KEY (session, seq), UNIQUE (session, id, revision)
);
CREATE TABLE IF NOT EXISTS sink_cursor (
    session TEXT NOT NULL, sink TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (session, sink)
);
"""


class Outbox:
    """A session's publications in a SQLite file; safe to call from several threads."""

    def __init__(self, path: str | Path, session: str, fps: str = "25",
                 clock: MediaClock = MediaClock()) -> None:
        self.path = Path(path)
        self.session = session
        self.fps = fps
        self.clock = clock
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                   timeout=30.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()

    def append(self, drafts: Sequence[Draft]) -> list[Publication]:
        """Publish drafts atomically (all or none), each as the next revision of its id."""
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                seq = db.execute("SELECT COALESCE(MAX(seq), 0) FROM outbox WHERE session = ?",
                                 (self.session,)).fetchone()[0]
                out = []
                for draft in drafts:
                    revision = 1 + db.execute(
                        "SELECT COALESCE(MAX(revision), 0) FROM outbox WHERE session = ? AND id = ?",
                        (self.session, draft.id)).fetchone()[0]
                    seq += 1
                    pub = publication(draft, self.session, seq, revision, self.fps, self.clock)
                    db.execute("INSERT INTO outbox VALUES (?, ?, ?, ?, ?)",
                               (self.session, seq, pub.id, revision, pub.to_json()))
                    out.append(pub)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            return out

    def last_seq(self) -> int:
        """The highest sequence number published so far (0 for none)."""
        with self._lock:
            return self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM outbox WHERE session = ?",
                                    (self.session,)).fetchone()[0]

    def after(self, seq: int, limit: int = 500) -> list[Publication]:
        """Publications with a sequence number above ``seq``, in order, at most ``limit``."""
        with self._lock:
            rows = self._db.execute(
                "SELECT body FROM outbox WHERE session = ? AND seq > ? ORDER BY seq LIMIT ?",
                (self.session, seq, limit)).fetchall()
        return [Publication.from_json(body) for (body,) in rows]

    def bodies_after(self, seq: int, limit: int = 500) -> list[tuple[int, str]]:
        """(sequence number, JSON text) of the publications above ``seq``, in order, at most ``limit``: for
        a sink that sends the text as it is (nothing parsed and written again)."""
        with self._lock:
            return self._db.execute(
                "SELECT seq, body FROM outbox WHERE session = ? AND seq > ? ORDER BY seq LIMIT ?",
                (self.session, seq, limit)).fetchall()

    def cursor(self, sink: str) -> int:
        """The last sequence number ``sink`` has delivered (0 for none)."""
        with self._lock:
            row = self._db.execute("SELECT seq FROM sink_cursor WHERE session = ? AND sink = ?",
                                   (self.session, sink)).fetchone()
        return 0 if row is None else row[0]

    def set_cursor(self, sink: str, seq: int) -> None:
        """Record that ``sink`` has delivered everything up to ``seq``."""
        with self._lock:
            self._db.execute(
                "INSERT INTO sink_cursor VALUES (?, ?, ?) ON CONFLICT (session, sink) "
                "DO UPDATE SET seq = excluded.seq", (self.session, sink, seq))
