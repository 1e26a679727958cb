"""The sinks panel: each sink's state, delivered sequence, backlog and last error, refreshed at 2 Hz."""
from __future__ import annotations

from app.views.cells import set_row
from app.views.table_panel import TablePanel
from app.panels.publishing import ConsolePublishing

REFRESH_MS = 500
COLUMNS = ("sink", "state", "delivered", "backlog", "last error")
STATE_COLOURS = {"ok": "#3ecf8e", "retrying": "#f2c14e", "starting": "#7d8a96", "stopped": "#ff6b6b"}


class SinksPanel(TablePanel):
    """One row per sink; a line above says how many drafts wait for the outbox."""

    def __init__(self, publishing: ConsolePublishing) -> None:
        super().__init__(COLUMNS)
        self.publishing = publishing
        self.start_refreshing(REFRESH_MS)

    def rows(self) -> list[tuple[str, str, str, str, str]]:
        """What the table shows, one tuple of cell texts per sink."""
        return [(h.name, h.state, str(h.delivered_seq), str(h.backlog), h.last_error or "")
                for h in self.publishing.publishing.health()]

    def refresh(self) -> None:
        """Re-read every sink's health."""
        rows = self.rows()
        self.table.setRowCount(len(rows))
        for r, cells in enumerate(rows):
            set_row(self.table, r, cells, {1: STATE_COLOURS.get(cells[1], "#d5dde5")})
        error = self.publishing.error
        self.summary.setText(f"{self.publishing.queued} waiting for the outbox"
                             + (f" — last error: {error}" if error else ""))
