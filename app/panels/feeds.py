"""The feeds panel: each extra feed's live offset, drift, confidence and any jump warning, and both
figures plotted against feed time."""
from __future__ import annotations

import queue

import pyqtgraph as pg

from app.views.cells import set_row
from app.views.table_panel import TablePanel
from app.panels.feed_alignment import SEARCH_S, FeedAlignmentWorker
from core.align import AlignmentReading

REFRESH_MS = 500
COLUMNS = ("feed", "offset s", "drift ppm", "confidence", "state", "warning")
CURVE_COLOURS = ("#3d9df3", "#f2c14e", "#3ecf8e", "#b48cff", "#ff6b6b")
WARNING_COLOUR = "#ff6b6b"


class FeedsPanel(TablePanel):
    """One table row per feed, then offset (ms) and drift (ppm) over feed time, one curve per feed."""

    def __init__(self, worker: FeedAlignmentWorker) -> None:
        super().__init__(COLUMNS, len(worker.feeds))
        self.worker = worker
        self.history: dict[str, list[AlignmentReading]] = {name: [] for name in worker.feeds}
        self.warnings: dict[str, str] = {}
        self.table.setMaximumHeight(30 + 24 * max(1, len(self.history)))
        plots = pg.GraphicsLayoutWidget()
        self.offset_plot = plots.addPlot(row=0, col=0)
        self.drift_plot = plots.addPlot(row=1, col=0)
        self.drift_plot.setXLink(self.offset_plot)
        self.offset_plot.setLabel("left", "offset", units="ms")
        self.drift_plot.setLabel("left", "drift", units="ppm")
        self.drift_plot.setLabel("bottom", "feed time", units="s")
        self.curves = {}
        for i, name in enumerate(self.history):
            pen = pg.mkPen(CURVE_COLOURS[i % len(CURVE_COLOURS)], width=2)
            self.curves[name] = (self.offset_plot.plot(pen=pen, symbol="o", symbolSize=4, name=name),
                                 self.drift_plot.plot(pen=pen, symbol="o", symbolSize=4))
        self.layout().addWidget(plots, 1)
        self.start_refreshing(REFRESH_MS)

    def latest(self, name: str) -> AlignmentReading | None:
        """The feed's newest reading."""
        readings = self.history[name]
        return readings[-1] if readings else None

    def refresh(self) -> None:
        """Take the worker's new readings; redraw the table and the curves."""
        while True:
            try:
                r = self.worker.readings.get_nowait()
            except queue.Empty:
                break
            self.history[r.feed].append(r)
            if r.warning:
                self.warnings[r.feed] = f"{r.warning} (at {r.t_f:.1f} s)"
        for row, name in enumerate(self.history):
            r = self.latest(name)
            cells = (name, "—" if r is None or r.offset_s is None else f"{r.offset_s:+.4f}",
                     "—" if r is None or r.drift_ppm is None else f"{r.drift_ppm:+.1f}",
                     "—" if r is None else f"{r.confidence:.2f}",
                     "waiting" if r is None else "locked" if r.locked else "searching",
                     self.warnings.get(name, ""))
            set_row(self.table, row, cells, {5: WARNING_COLOUR})
            points = [p for p in self.history[name] if p.offset_s is not None]
            offset_curve, drift_curve = self.curves[name]
            offset_curve.setData([p.t_f for p in points], [p.offset_s * 1e3 for p in points])
            drift_curve.setData([p.t_f for p in points], [p.drift_ppm or 0.0 for p in points])
        self.summary.setText(self.worker.error or f"{len(self.history)} feed(s) aligned to the master "
                                                  f"(live, offsets up to ±{SEARCH_S:.0f} s)")
