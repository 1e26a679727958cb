"""The help overlay, the settings dialog and the key remapping dialog (all built from plain values)."""
from __future__ import annotations

from collections.abc import Callable
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout,
                               QGridLayout, QLabel, QLineEdit, QVBoxLayout, QWidget)

from app.keymap import Keymap
from app.settings import FRAME_RATE_CHOICES, ConsoleSettings


class HelpOverlay(QLabel):
    """Every action and its keys, drawn over the window; any action key toggles it off again."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setStyleSheet("background: rgba(8, 10, 12, 225); color: #d5dde5; font-size: 12pt;")
        self.hide()

    def show_keys(self, keymap: Keymap) -> None:
        """Fill the overlay from the action table and the keys in force, and show it."""
        rows = "".join(
            f"<tr><td style='padding:3px 18px; color:#f2c14e; font-family:monospace'>"
            f"{escape(' / '.join(keymap.keys[a.id]))}</td><td style='padding:3px 18px'>{escape(a.label)}</td></tr>"
            for a in keymap.actions)
        self.setText(f"<h2>Keys</h2><table align='center'>{rows}</table>"
                     "<p style='color:#7d8a96'>Click the spectrogram to set the cursor.</p>")
        self.setGeometry(self.parentWidget().rect())
        self.raise_()
        self.show()


class SettingsDialog(QDialog):
    """Policies (auto-accept, deadline), frame rate and spectrogram display; ``apply`` gets the result."""

    def __init__(self, parent: QWidget, settings: ConsoleSettings,
                 apply: Callable[[ConsoleSettings], None]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self._apply = apply
        form = QFormLayout(self)
        self.auto_on = QCheckBox("accept automatically above confidence")
        self.auto = QDoubleSpinBox(decimals=2, minimum=0.0, maximum=1.0, singleStep=0.05)
        self.auto_on.setChecked(settings.auto_accept is not None)
        self.auto.setValue(settings.auto_accept if settings.auto_accept is not None else 0.95)
        self.deadline_on = QCheckBox("accept the best proposal as 'auto' after")
        self.deadline = QDoubleSpinBox(decimals=0, minimum=1, maximum=3600, suffix=" s")
        self.deadline_on.setChecked(settings.deadline_s is not None)
        self.deadline.setValue(settings.deadline_s or 60)
        self.fps = QComboBox()
        self.fps.addItems(FRAME_RATE_CHOICES)
        self.fps.setCurrentText(settings.fps)
        self.fft = QComboBox()
        self.fft.addItems(["256", "512", "1024", "2048"])
        self.fft.setCurrentText(str(settings.fft_size))
        self.floor = QDoubleSpinBox(minimum=-160, maximum=0, suffix=" dB", value=settings.db_floor)
        self.ceiling = QDoubleSpinBox(minimum=-150, maximum=20, suffix=" dB", value=settings.db_ceiling)
        self.window = QDoubleSpinBox(decimals=0, minimum=2, maximum=300, suffix=" s", value=settings.window_s)
        form.addRow(self.auto_on, self.auto)
        form.addRow(self.deadline_on, self.deadline)
        form.addRow("frame rate (nudges, timecode)", self.fps)
        form.addRow("spectrogram FFT size", self.fft)
        form.addRow("colour range floor", self.floor)
        form.addRow("colour range ceiling", self.ceiling)
        form.addRow("visible window", self.window)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Apply
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(lambda: (self._apply(self.result_settings()), self.accept()))
        buttons.button(QDialogButtonBox.StandardButton.Apply).clicked.connect(
            lambda: self._apply(self.result_settings()))
        buttons.rejected.connect(self.reject)
        self.accept_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        form.addRow(buttons)

    def result_settings(self) -> ConsoleSettings:
        """The settings as the dialog shows them."""
        return ConsoleSettings(
            auto_accept=self.auto.value() if self.auto_on.isChecked() else None,
            deadline_s=self.deadline.value() if self.deadline_on.isChecked() else None,
            fps=self.fps.currentText(), fft_size=int(self.fft.currentText()),
            db_floor=self.floor.value(), db_ceiling=self.ceiling.value(), window_s=self.window.value(),
        ).validated()


class RemapDialog(QDialog):
    """One line per action; keys separated by "; ". A key already taken is refused with a message."""

    def __init__(self, parent: QWidget, keymap: Keymap, applied: Callable[[], None], title: str = "Remap keys",
                 rows_per_column: int | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.keymap = keymap
        self._applied = applied
        layout = QVBoxLayout(self)
        grid = QGridLayout()
        self.edits: dict[str, QLineEdit] = {}
        rows = rows_per_column or len(keymap.actions)
        for i, action in enumerate(keymap.actions):
            edit = QLineEdit("; ".join(keymap.keys[action.id]))
            edit.editingFinished.connect(lambda a=action.id: self.commit(a))
            grid.addWidget(QLabel(action.label), i % rows, 2 * (i // rows))
            grid.addWidget(edit, i % rows, 2 * (i // rows) + 1)
            self.edits[action.id] = edit
        layout.addLayout(grid)
        self.message = QLabel("")
        self.message.setObjectName("alert")
        layout.addWidget(self.message)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout.addWidget(close)

    def commit(self, action_id: str) -> bool:
        """Apply the keys typed for one action; show the clash and restore the line if refused."""
        text = self.edits[action_id].text()
        keys = tuple(k.toString(QKeySequence.SequenceFormat.PortableText)
                     for k in QKeySequence.listFromString(text) if not k.isEmpty())
        clashes = self.keymap.remap(action_id, keys)
        if clashes:
            key, ids = next(iter(clashes.items()))
            self.message.setText(f"{key} is already used by {', '.join(i for i in ids if i != action_id)}")
            self.edits[action_id].setText("; ".join(self.keymap.keys[action_id]))
            return False
        self.message.setText("")
        self._applied()
        return True
