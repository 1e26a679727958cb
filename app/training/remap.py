"""Remapping the training keys: the console's remap dialog, one line per training action."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QGridLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from app.dialogs import RemapDialog
from app.training.hotkeys import TRAINING_ACTIONS, TrainingKeymap


class TrainingRemapDialog(RemapDialog):
    """The console's RemapDialog (its commit refuses clashes) over the training action table."""

    def __init__(self, parent: QWidget, keymap: TrainingKeymap, applied: Callable[[], None]) -> None:
        QDialog.__init__(self, parent)  # the console's __init__ lists the console's actions
        self.setWindowTitle("Remap training keys")
        self.keymap = keymap
        self._applied = applied
        layout = QVBoxLayout(self)
        grid = QGridLayout()
        self.edits: dict[str, QLineEdit] = {}
        for i, action in enumerate(TRAINING_ACTIONS):
            edit = QLineEdit("; ".join(keymap.keys[action.id]))
            edit.editingFinished.connect(lambda a=action.id: self.commit(a))
            grid.addWidget(QLabel(action.label), i % 12, 2 * (i // 12))
            grid.addWidget(edit, i % 12, 2 * (i // 12) + 1)
            self.edits[action.id] = edit
        layout.addLayout(grid)
        self.message = QLabel("")
        self.message.setObjectName("alert")
        layout.addWidget(self.message)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout.addWidget(close)
