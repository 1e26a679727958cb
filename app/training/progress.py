"""The progress view: a trainee's F1 and share of hits within 500 ms, session by session."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout, QWidget

from app.theme import TEXT
from core.training.store import TrainingStore


class ProgressDialog(QDialog):
    """One point per finished session, oldest left."""

    def __init__(self, parent: QWidget, store: TrainingStore, trainee: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Progress · {trainee}")
        sessions = store.sessions(trainee)
        layout = QVBoxLayout(self)
        self.plot = pg.PlotWidget()
        self.plot.setYRange(0, 1.05, padding=0)
        self.plot.setLabel("bottom", "session")
        self.plot.setLabel("left", "accuracy")
        legend = self.plot.addLegend(offset=(10, 10), labelTextColor=TEXT)
        legend.setBrush(pg.mkBrush(15, 19, 23, 200))
        x = list(range(1, len(sessions) + 1))
        self.f1 = [s.f1 for s in sessions]
        self.tight = [s.hits_500ms / s.truth if s.truth else 0.0 for s in sessions]
        self.plot.plot(x, self.f1, pen=pg.mkPen("#3ecf8e", width=2), symbol="o", symbolBrush="#3ecf8e", name="F1")
        self.plot.plot(x, self.tight, pen=pg.mkPen("#f2c14e", width=2), symbol="s", symbolBrush="#f2c14e",
                       name="share of hits within 500 ms")
        last = sessions[-1] if sessions else None
        text = (f"{len(sessions)} sessions; latest F1 {last.f1:.2f}, median lateness "
                f"{(last.median_lateness_s or 0) * 1000:+.0f} ms" if last else "No finished sessions yet.")
        layout.addWidget(self.plot)
        layout.addWidget(QLabel(text))
        self.resize(620, 380)
