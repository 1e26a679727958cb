"""The status bar: input level, dropped blocks, latency, clock map, session clock and timecode, mode."""
from __future__ import annotations

from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QLinearGradient, QPainter
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

FLOOR_DBFS = -60.0


class LevelMeter(QWidget):
    """A horizontal peak meter from -60 to 0 dBFS, green to amber to red (repaints lazily)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFixedSize(120, 12)
        self.dbfs = FLOOR_DBFS

    def set_dbfs(self, dbfs: float) -> None:
        """Show a new peak level."""
        self.dbfs = max(FLOOR_DBFS, min(0.0, dbfs))
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#0b0e11"))
        grad = QLinearGradient(0, 0, self.width(), 0)
        for at, colour in ((0.0, "#3ecf8e"), (0.8, "#f2c14e"), (1.0, "#ff6b6b")):
            grad.setColorAt(at, QColor(colour))
        width = self.width() * (self.dbfs - FLOOR_DBFS) / -FLOOR_DBFS
        p.fillRect(QRectF(0, 1, width, self.height() - 2), grad)
        p.setPen(QColor("#2a323b"))
        p.drawRect(self.rect().adjusted(0, 0, -1, -1))
        p.end()


class ConsoleStatus:
    """Labels in the window's status bar, updated from plain values."""

    def __init__(self, bar: QStatusBar) -> None:
        self.mode = QLabel("LIVE")
        self.mode.setObjectName("mode_live")
        self.level = LevelMeter()
        self.level_text = QLabel("-∞ dBFS")
        self.dropped = QLabel("dropped 0")
        self.latency = QLabel("latency –")
        self.clock = QLabel("clock –")
        self.session = QLabel("00:00:00.0")
        self.timecode = QLabel("00:00:00:00")
        self.alert = QLabel("")
        self.alert.setObjectName("alert")
        bar.addWidget(self.mode)
        bar.addWidget(QLabel("input"))
        bar.addWidget(self.level)
        for label in (self.level_text, self.dropped, self.latency, self.clock):
            bar.addWidget(label)
        bar.addWidget(self.alert, 1)
        bar.addPermanentWidget(self.session)
        bar.addPermanentWidget(self.timecode)

    def set_mode(self, frozen: bool) -> None:
        """LIVE, or FROZEN while the operator looks back."""
        self.mode.setText("FROZEN" if frozen else "LIVE")
        self.mode.setObjectName("mode_frozen" if frozen else "mode_live")
        self.mode.style().unpolish(self.mode)
        self.mode.style().polish(self.mode)

    def set_level(self, dbfs: float) -> None:
        """Peak input level of the newest audio."""
        self.level.set_dbfs(dbfs)
        self.level_text.setText(f"{dbfs:6.1f} dBFS" if dbfs > -120 else "  -∞ dBFS")

    def set_health(self, overruns: int, lost_s: float, backlog_s: float, latency_s: float) -> None:
        """Dropped/overrun blocks, samples lost, the DSP backlog and the input latency."""
        self.dropped.setText(f"dropped {overruns} ({lost_s:.2f} s)")
        self.latency.setText(f"latency {latency_s * 1000:.0f} ms  backlog {backlog_s * 1000:.0f} ms")

    def set_clock(self, offset_s: float | None, drift_ppm: float | None) -> None:
        """The sync engine's estimate of the logger's clock."""
        if offset_s is None:
            self.clock.setText("clock –")
        else:
            self.clock.setText(f"offset {offset_s:+.3f} s  drift {drift_ppm or 0:+.0f} ppm")

    def set_time(self, seconds: float, timecode: str) -> None:
        """Session clock and SMPTE timecode of the live head."""
        h, rem = divmod(seconds, 3600)
        m, s = divmod(rem, 60)
        self.session.setText(f"{int(h):02d}:{int(m):02d}:{s:04.1f}")
        self.timecode.setText(timecode)
