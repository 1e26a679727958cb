"""The shape of the console's status panels: a summary line over a read-only table, redrawn on a timer."""
from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.views.cells import read_only_table


class TablePanel(QWidget):
    """``summary`` (a line of text) over ``table``; a subclass adds its own widgets below with
    ``self.layout().addWidget``, defines ``refresh`` and calls ``start_refreshing`` once it is built."""

    def __init__(self, columns: Sequence[str], rows: int = 0) -> None:
        super().__init__()
        self.summary = QLabel()
        self.table = read_only_table(columns, rows)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(self.table)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh)

    def start_refreshing(self, interval_ms: int) -> None:
        """Draw now, then every ``interval_ms``."""
        self.timer.start(interval_ms)
        self.refresh()

    def refresh(self) -> None:
        """Redraw the summary and the table from the panel's source."""
        raise NotImplementedError
