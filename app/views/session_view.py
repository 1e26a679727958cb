"""A served session, attached read-only: its events with their latest decision and publication, re-read
from the session file every second (through the exporter's read-only reader)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QHeaderView

from app.views.cells import set_row
from app.views.table_panel import TablePanel
from core.errors import InputError
from core.session.export import session_records

REFRESH_MS = 1000
COLUMNS = ("event", "type", "logged s", "status", "decided s", "by", "published", "revision")


def event_states(path: Path) -> tuple[list[tuple[str, ...]], int]:
    """One row of cell texts per event (arrival order), and the number of publications."""
    rows: dict[str, dict] = {}
    pubs = 0
    for r in session_records(path):
        if r["kind"] == "event":
            rows[r["event_id"]] = {"type": r["type"], "t_logged": f"{r['t_logged']:.2f}", "status": "pending",
                                   "t": "", "by": "", "pub": "", "rev": ""}
        elif r["kind"] == "decision" and r["event_id"] in rows:
            rows[r["event_id"]].update(status=r["status_after"], by=r["operator"],
                                       t="" if r["t_after_s"] is None else f"{r['t_after_s']:.2f}")
        elif r["kind"] == "publication" and r["id"] in rows:
            pubs += 1
            rows[r["id"]].update(pub=r["status"], rev=str(r["revision"]))
    return [(eid, v["type"], v["t_logged"], v["status"], v["t"], v["by"], v["pub"], v["rev"])
            for eid, v in rows.items()], pubs


class SessionView(TablePanel):
    """A separate, read-only window on one session file."""

    def __init__(self, name: str, path: Path) -> None:
        super().__init__(COLUMNS)
        self.path = path
        self.setWindowTitle(f"MatchSync — {name} (read-only)")
        self.resize(900, 500)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.start_refreshing(REFRESH_MS)

    def refresh(self) -> None:
        """Re-read the session file."""
        try:
            rows, pubs = event_states(self.path)
        except InputError as exc:
            self.summary.setText(str(exc))
            return
        self.summary.setText(f"{self.path} — {len(rows)} events, {pubs} publications (read-only)")
        self.table.setRowCount(len(rows))
        for r, cells in enumerate(rows):
            set_row(self.table, r, cells)
