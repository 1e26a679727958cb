"""The video pane: the current frame scaled to fit, the demo's event caption over it."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.theme import MUTED, PANEL


class VideoPane(QWidget):
    """Shows RGB frames (numpy uint8) with an optional caption; a message when there is no video."""

    def __init__(self) -> None:
        super().__init__()
        self.setMinimumSize(320, 210)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._image: QImage | None = None
        self._caption: str | None = None
        self.message = "no video in this match"

    def show_frame(self, rgb: np.ndarray | None, caption: str | None) -> None:
        """Replace the frame (None keeps the message) and the caption."""
        if rgb is not None:
            rgb = np.ascontiguousarray(rgb)
            h, w, _ = rgb.shape
            self._image = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
        self._caption = caption
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(PANEL))
        if self._image is None:
            p.setPen(QColor(MUTED))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.message)
            return
        scaled = self._image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        target = QRectF((self.width() - scaled.width()) / 2, (self.height() - scaled.height()) / 2,
                        scaled.width(), scaled.height())
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        p.drawImage(target, self._image)
        if self._caption:
            font = QFont("DejaVu Sans", 15, QFont.Weight.Bold)
            p.setFont(font)
            width = p.fontMetrics().horizontalAdvance(self._caption) + 28
            box = QRectF(target.center().x() - width / 2, target.bottom() - 46, width, 34)
            p.fillRect(box, QColor(10, 14, 18, 210))
            p.setPen(QColor("#f2c14e"))
            p.drawText(box, Qt.AlignmentFlag.AlignCenter, self._caption)
