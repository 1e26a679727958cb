"""Reaction calibration: the trainee taps Space along to a sequence of whistles and beeps."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QDialog, QLabel, QPushButton, QVBoxLayout, QWidget

from app.training.sound import SoundOut
from core import ANALYSIS_RATE
from core.training.calibration import TAP_WINDOW_S, Calibration, cue_plan, measure, render_cues
from core.training.clock import PlaybackClock
from core.training.store import TrainingStore

FLASH_S = 0.25


class CueLamp(QWidget):
    """A lamp lit while a cue sounds (so calibration also works without a sound device)."""

    def __init__(self) -> None:
        super().__init__()
        self.setMinimumSize(120, 120)
        self.kind: str | None = None

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = {"whistle": "#f2c14e", "beep": "#3d9df3"}.get(self.kind or "", "#222a33")
        p.setBrush(QColor(colour))
        p.setPen(QColor("#33404c"))
        side = min(self.width(), self.height()) - 10
        p.drawEllipse((self.width() - side) // 2, (self.height() - side) // 2, side, side)


class CalibrationDialog(QDialog):
    """Plays the cues; Space records a tap; at the end the median lateness is stored for the trainee."""

    def __init__(self, parent: QWidget, store: TrainingStore, trainee: str, now: Callable[[], float],
                 sound: SoundOut) -> None:
        super().__init__(parent)
        self.setWindowTitle("Reaction calibration")
        self.store, self.trainee, self.sound = store, trainee, sound
        self.cues = cue_plan()
        self.audio = render_cues(self.cues, ANALYSIS_RATE)
        self.clock = PlaybackClock(len(self.audio) / ANALYSIS_RATE + TAP_WINDOW_S[1], now)
        self.taps: list[float] = []
        self.result: Calibration | None = None
        layout = QVBoxLayout(self)
        self.info = QLabel(f"Press Space the moment you hear each whistle or beep ({len(self.cues)} cues; the lamp "
                           "lights with each). Press Start, then keep your eyes on the lamp.")
        self.info.setWordWrap(True)
        self.lamp = CueLamp()
        self.start_button = QPushButton("Start")
        self.start_button.clicked.connect(self.start)
        for w in (self.info, self.lamp, self.start_button):
            layout.addWidget(w)
        self.timer = QTimer(self)
        self.timer.setInterval(15)
        self.timer.timeout.connect(self.tick)
        self.resize(420, 320)

    def start(self) -> None:
        """Begin the sequence."""
        self.start_button.setEnabled(False)
        self.setFocus()
        self.clock.play()
        self.sound.play(self.audio, ANALYSIS_RATE, 0.0)
        self.timer.start()

    def event(self, event) -> bool:  # noqa: D401 - Qt API
        """Space taps here, even though the training window binds it to pause."""
        if event.type() == QEvent.Type.ShortcutOverride and event.key() == Qt.Key.Key_Space:
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt API
        if event.key() == Qt.Key.Key_Space and self.clock.running:
            self.taps.append(self.clock.position())
        else:
            super().keyPressEvent(event)

    def tick(self) -> None:
        """Light the lamp during cues; measure and store when the sequence is over."""
        t = self.clock.position()
        self.lamp.kind = next((c.kind for c in self.cues if 0 <= t - c.t <= FLASH_S), None)
        self.lamp.update()
        if self.clock.ended and self.result is None:
            self.timer.stop()
            self.clock.pause()
            self.result = measure(self.cues, self.taps)
            if self.result.taps_matched:
                self.store.save_calibration(self.trainee, self.result.lateness_s, self.result.spread_s)
            self.info.setText(f"Your lateness: {self.result.lateness_s * 1000:.0f} ms (spread "
                              f"{self.result.spread_s * 1000:.0f} ms), {self.result.taps_matched} of "
                              f"{self.result.cues} cues answered. Tick “Apply my calibrated lateness” "
                              "to take it off your live entries.")
            self.start_button.setText("Close")
            self.start_button.clicked.disconnect()
            self.start_button.clicked.connect(self.accept)
            self.start_button.setEnabled(True)
