"""The event table: one row per logged event, newest at the bottom."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from app.theme import STATUS_COLOURS
from core.session.book import EventRow

COLUMNS = ("ID", "Type", "Logged", "Proposed", "Δ s", "Earlier by", "Conf", "Basis", "Status", "Deadline")
SHOWN_ROLES = frozenset((Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ForegroundRole,
                         Qt.ItemDataRole.TextAlignmentRole))


RowView = tuple[EventRow, int, float | None]
"""An event's row, its logged time on the media clock, and the seconds left to its deadline (None: none)."""


class EventTableModel(QAbstractTableModel):
    """Observes the event book: ``ids`` (arrival order, only appended to) names the rows, and ``view`` gives
    a row's values when it is painted, so only the rows on screen cost anything, however many there are."""

    def __init__(self, rate: int, timecode: Callable[[int], str], ids: list[str],
                 view: Callable[[str], RowView]) -> None:
        super().__init__()
        self.rate = rate
        self.timecode = timecode
        self.ids = ids
        self.view = view
        self._rows = 0
        self._row_of: dict[str, int] = {}

    def refresh(self) -> None:
        """New events are appended as rows; every cell may change (only the visible ones are read)."""
        known, count = self._rows, len(self.ids)
        if count > known:
            self.beginInsertRows(QModelIndex(), known, count - 1)
            self._row_of.update((self.ids[i], i) for i in range(known, count))
            self._rows = count
            self.endInsertRows()
        if count:
            self.dataChanged.emit(self.index(0, 0), self.index(count - 1, len(COLUMNS) - 1))

    def row_of(self, eid: str) -> int | None:
        """The table row showing ``eid`` (None until a refresh has added it)."""
        return self._row_of.get(eid)

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else self._rows

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802 - Qt API
        return len(COLUMNS)

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if role not in SHOWN_ROLES:
            return None
        row, logged_n, left = self.view(self.ids[index.row()])
        col = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, logged_n, left, col)
        if role == Qt.ItemDataRole.ForegroundRole and col == "Status":
            return QBrush(QColor(STATUS_COLOURS[row.status]))
        if role == Qt.ItemDataRole.ForegroundRole and col == "Earlier by" and self._early_risk(row):
            return QBrush(QColor("#ff9f1c"))
        if role == Qt.ItemDataRole.TextAlignmentRole and col not in ("ID", "Type", "Basis", "Status"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _text(self, row: EventRow, logged_n: int, left: float | None, col: str) -> str:
        n = row.working_n
        p = row.proposal
        if col == "ID":
            return row.event.id
        if col == "Type":
            return row.event.type
        if col == "Logged":
            return f"{row.event.t:.2f}"
        if col == "Proposed":
            return "" if n is None else self.timecode(n)
        if col == "Δ s":
            return "" if n is None else f"{(n - logged_n) / self.rate:+.2f}"
        if col == "Earlier by":
            if n is None:
                return ""
            earlier = (logged_n - n) / self.rate
            return (f"{earlier:.2f}" if earlier > 0 else "later") + (" ⚠" if self._early_risk(row) else "")
        if col == "Conf":
            return "" if p is None else f"{p.confidence:.2f}"
        if col == "Basis":
            return "" if p is None else p.basis
        if col == "Status":
            return row.status
        if col == "Deadline":
            return "" if left is None else f"{max(left, 0.0):4.0f} s"
        return ""

    @staticmethod
    def _early_risk(row: EventRow) -> bool:
        return bool(row.proposal and row.proposal.detail.get("early_risk"))
