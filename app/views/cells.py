"""Filling a QTableWidget row from plain text cells (items are made once and reused on refresh)."""
from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QTableWidget, QTableWidgetItem


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
