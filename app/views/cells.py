"""Read-only tables of plain text cells: making one, and filling a row (items are made once and reused)."""
from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem


def set_row(table: QTableWidget, row: int, cells: Sequence[str], colours: dict[int, str] | None = None) -> None:
    """Show ``cells`` in ``row``; ``colours`` gives a text colour for some columns."""
    for col, text in enumerate(cells):
        item = table.item(row, col)
        if item is None:
            item = QTableWidgetItem()
            table.setItem(row, col, item)
        item.setText(text)
        if colours and col in colours:
            item.setForeground(QColor(colours[col]))


def read_only_table(columns: Sequence[str], rows: int = 0) -> QTableWidget:
    """A table the operator reads and selects rows in, never edits: columns sized to their contents."""
    table = QTableWidget(rows, len(columns))
    table.setHorizontalHeaderLabels(list(columns))
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table
