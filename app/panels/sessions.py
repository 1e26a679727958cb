"""The sessions panel: scheduled, live and finished sessions of a served match day; attach opens one
read-only."""
from __future__ import annotations

from PySide6.QtWidgets import QAbstractItemView, QPushButton

from app.views.cells import set_row
from app.views.table_panel import TablePanel
from app.panels.serve_status import StatusFollower
from app.views.session_view import SessionView

REFRESH_MS = 500
COLUMNS = ("session", "state", "media s", "events", "published", "undelivered", "note")
STATE_COLOURS = {"scheduled": "#7d8a96", "starting": "#f2c14e", "live": "#3ecf8e", "finished": "#4fa3ff",
                 "failed": "#ff6b6b"}


class SessionsPanel(TablePanel):
    """One row per session of the serve run; double-click or Attach opens the selected one."""

    def __init__(self, follower: StatusFollower) -> None:
        super().__init__(COLUMNS)
        self.follower = follower
        self.views: dict[str, SessionView] = {}
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.cellDoubleClicked.connect(lambda row, _col: self.attach(self.names()[row]))
        attach = QPushButton("Attach (read-only)")
        attach.clicked.connect(self._attach_selected)
        self.layout().addWidget(attach)
        self.start_refreshing(REFRESH_MS)

    def names(self) -> list[str]:
        """The sessions in the order listed."""
        return [s.get("name", "?") for s in self.follower.sessions]

    def refresh(self) -> None:
        """Show the follower's newest snapshot."""
        sessions = self.follower.sessions
        self.table.setRowCount(len(sessions))
        for row, s in enumerate(sessions):
            note = s.get("error") or s.get("reason") or ""
            cells = (s.get("name", "?"), s.get("state", "?"), f"{s.get('media_s', 0):.1f}", str(s.get("events", 0)),
                     str(s.get("published", 0)), str(s.get("undelivered", 0)), note)
            set_row(self.table, row, cells, {1: STATE_COLOURS.get(cells[1], "#d5dde5")})
        self.summary.setText(self.follower.error or f"{self.follower.where} — {len(sessions)} sessions, "
                                                    f"updated {self.follower.updated or 'never'}")

    def _attach_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.attach(self.names()[rows[0].row()])

    def attach(self, name: str) -> SessionView | None:
        """Open session ``name`` read-only (once; again brings it forward)."""
        path = self.follower.session_path(name)
        if path is None or not path.is_file():
            self.summary.setText(f"{name}: no session file yet" + (f" at {path}" if path else
                                                                   " (give --serve-sessions FOLDER)"))
            return None
        view = self.views.get(name) or SessionView(name, path)
        self.views[name] = view
        view.show()
        view.raise_()
        return view
