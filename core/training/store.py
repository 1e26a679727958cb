"""Trainees (their calibrated lateness) and their scored sessions, in one SQLite file."""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from core.errors import InputError

SCHEMA = """
CREATE TABLE IF NOT EXISTS trainees (
    name TEXT PRIMARY KEY, lateness_s REAL, spread_s REAL, apply_lateness INTEGER NOT NULL DEFAULT 0,
    calibrated_at TEXT);
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, trainee TEXT NOT NULL, finished_at TEXT NOT NULL, match TEXT NOT NULL,
    f1 REAL NOT NULL, hits_500ms INTEGER NOT NULL, hits_1000ms INTEGER NOT NULL, truth INTEGER NOT NULL,
    median_lateness_s REAL, report TEXT NOT NULL);
"""


@dataclass(frozen=True, slots=True)
class Trainee:
    """A trainee's calibration and whether it is applied to their live logging."""

    name: str
    lateness_s: float | None
    spread_s: float | None
    apply_lateness: bool


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """One scored session, for the progress view."""

    id: int
    finished_at: str
    match: str
    f1: float
    hits_500ms: int
    hits_1000ms: int
    truth: int
    median_lateness_s: float | None


class TrainingStore:
    """The trainees and sessions file (created if missing)."""

    def __init__(self, path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path)
            self.db.executescript(SCHEMA)
        except (OSError, sqlite3.DatabaseError) as exc:
            raise InputError(str(path), f"cannot open the training store ({exc})") from None

    def close(self) -> None:
        self.db.close()

    def trainee(self, name: str) -> Trainee:
        """The trainee's record (a new trainee has no calibration)."""
        row = self.db.execute("SELECT lateness_s, spread_s, apply_lateness FROM trainees WHERE name = ?",
                              (name,)).fetchone()
        return Trainee(name, None, None, False) if row is None else Trainee(name, row[0], row[1], bool(row[2]))

    def save_calibration(self, name: str, lateness_s: float, spread_s: float) -> None:
        """Store a new calibration (keeping the trainee's choice to apply it)."""
        with self.db:
            self.db.execute("INSERT INTO trainees (name, lateness_s, spread_s, calibrated_at) VALUES (?, ?, ?, ?) "
                            "ON CONFLICT(name) DO UPDATE SET lateness_s = excluded.lateness_s, "
                            "spread_s = excluded.spread_s, calibrated_at = excluded.calibrated_at",
                            (name, lateness_s, spread_s, _now()))

    def set_apply_lateness(self, name: str, apply: bool) -> None:
        """Whether the calibrated lateness is taken off the trainee's live entries."""
        with self.db:
            self.db.execute("INSERT INTO trainees (name, apply_lateness) VALUES (?, ?) "
                            "ON CONFLICT(name) DO UPDATE SET apply_lateness = excluded.apply_lateness",
                            (name, int(apply)))

    def add_session(self, name: str, match: str, report: dict) -> int:
        """Keep a scored session; returns its id."""
        overall = report["trainee"]["overall"]
        with self.db:
            cur = self.db.execute(
                "INSERT INTO sessions (trainee, finished_at, match, f1, hits_500ms, hits_1000ms, truth, "
                "median_lateness_s, report) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (name, _now(), match, overall["f1"], overall["hits_500ms"], overall["hits_1000ms"],
                 overall["truth"], overall["median_lateness_s"], json.dumps(report)))
        return int(cur.lastrowid)

    def sessions(self, name: str) -> list[SessionSummary]:
        """The trainee's sessions, oldest first."""
        rows = self.db.execute("SELECT id, finished_at, match, f1, hits_500ms, hits_1000ms, truth, median_lateness_s "
                               "FROM sessions WHERE trainee = ? ORDER BY id", (name,)).fetchall()
        return [SessionSummary(*row) for row in rows]

    def report(self, session_id: int) -> dict:
        """The full stored report of a session."""
        return json.loads(self.db.execute("SELECT report FROM sessions WHERE id = ?", (session_id,)).fetchone()[0])


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
