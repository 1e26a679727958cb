"""Spectrogram, crowd loudness and event lane on one shared, scrolling time axis (seconds of media)."""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtWidgets import QGraphicsRectItem

from app.theme import COLOUR_MAP, LOGGED_COLOUR, STATUS_COLOURS, TEXT
from core.live.worker import DISPLAY_HOP
from core.model import Anchor, LoudnessReading
from core.session.book import EventRow

MAX_HZ = 8000.0
WHISTLE_BAND = (2000.0, 4000.0)
KEEP_S = 300.0
"""Seconds of history kept for scrolling back while frozen."""
LABEL_LIMIT = 40
"""Event names drawn at most in the lane (the newest in view); a crowded lane shows marks without names."""
LANE_LIMIT = 1000
"""Events drawn at most in the lane (the newest near the view): far more than a match has, but a flood of
network events must not make every frame draw them all."""


class SpectrogramBuffer:
    """Rolling columns of dB values; a doubled buffer gives the newest ``capacity`` columns as one
    contiguous view without copying."""

    def __init__(self, capacity: int, bins: int, floor: float) -> None:
        self.capacity = capacity
        self.bins = bins
        self._buf = np.full((2 * capacity, bins), floor, dtype=np.float32)
        self.count = 0
        self.last_n = 0

    def append(self, columns: np.ndarray, n0: int) -> None:
        """Add columns (rows of ``columns``); the first is centred on sample ``n0``."""
        k = len(columns)
        if not k:
            return
        if k > self.capacity:
            columns, n0, k = columns[-self.capacity:], n0 + (k - self.capacity) * DISPLAY_HOP, self.capacity
        i = self.count % self.capacity
        first = min(k, self.capacity - i)
        for offset in (0, self.capacity):
            self._buf[i + offset:i + offset + first] = columns[:first]
            self._buf[offset:offset + k - first] = columns[first:]
        self.count += k
        self.last_n = n0 + (k - 1) * DISPLAY_HOP

    def view(self) -> tuple[np.ndarray, int]:
        """The stored columns in time order and the centre sample of the first."""
        k = min(self.count, self.capacity)
        end = self.count % self.capacity + self.capacity
        return self._buf[end - k:end], self.last_n - (k - 1) * DISPLAY_HOP


class Timeline(pg.GraphicsLayoutWidget):
    """The three linked plots. ``cursor_set`` carries the media sample the operator clicked."""

    cursor_set = Signal(int)
    marker_dragged = Signal(int)
    """The operator dragged the selected event's time marker to this media sample."""

    def __init__(self, rate: int, window_s: float, fft_size: int, levels: tuple[float, float]) -> None:
        super().__init__()
        self.rate = rate
        self.window_s = window_s
        self.levels = levels
        self.frozen = False
        self.head_n = 0
        self.cursor_n: int | None = None
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.ci.setSpacing(2)

        self.spec = self.addPlot(row=0, col=0)
        self.loud = self.addPlot(row=1, col=0)
        self.lane = self.addPlot(row=2, col=0)
        self.ci.layout.setRowStretchFactor(0, 5)
        self.ci.layout.setRowStretchFactor(1, 2)
        self.ci.layout.setRowStretchFactor(2, 1)
        for plot, label in ((self.spec, "kHz"), (self.loud, "LUFS"), (self.lane, None)):
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.setMouseEnabled(x=False, y=False)
            plot.getAxis("left").setWidth(52)
            if label:
                plot.setLabel("left", label)
            if plot is not self.spec:
                plot.setXLink(self.spec)
        for plot in (self.spec, self.loud):
            plot.hideAxis("bottom")  # one time axis, under the lane: fewer ticks to lay out per frame
        self.lane.setLabel("bottom", "media time (s)")

        self._build_spectrogram(fft_size)
        self._build_loudness()
        self._build_lane()
        self.scene().sigMouseClicked.connect(self._clicked)

    # --- spectrogram -------------------------------------------------------------------------
    def _build_spectrogram(self, fft_size: int) -> None:
        self.image = pg.ImageItem(axisOrder="col-major")
        self.image.setLookupTable(pg.colormap.get(COLOUR_MAP).getLookupTable(nPts=256))
        self.spec.addItem(self.image)
        self.spec.setYRange(0, MAX_HZ, padding=0)
        self.spec.getAxis("left").setTicks([[(f, f"{f / 1000:g}") for f in range(0, 8001, 2000)]])
        band = pg.LinearRegionItem(WHISTLE_BAND, orientation="horizontal", movable=False,
                                   brush=pg.mkBrush(255, 255, 255, 14), pen=pg.mkPen(255, 255, 255, 60,
                                                                                     style=Qt.PenStyle.DashLine))
        band.setZValue(5)
        self.spec.addItem(band)
        self.playhead = pg.InfiniteLine(angle=90, pen=pg.mkPen("#ff5f56", width=1))
        self.cursor = pg.InfiniteLine(angle=90, pen=pg.mkPen("#ffffff", width=1, style=Qt.PenStyle.DotLine))
        self.cursor.hide()
        self.spec.addItem(self.playhead)
        self.spec.addItem(self.cursor)
        self._whistle_boxes: list[tuple[int, QGraphicsRectItem]] = []
        self._new_columns = False
        self.frames_painted = 0
        """Spectrogram frames shown so far: new columns or a scroll (benchmarks count them)."""
        self.set_fft_size(fft_size)

    def set_fft_size(self, fft_size: int) -> None:
        """Start a fresh buffer for a new FFT size (its bin count differs)."""
        bins = int(fft_size * MAX_HZ / self.rate) + 1
        self.buffer = SpectrogramBuffer(int(KEEP_S * self.rate / DISPLAY_HOP), bins, self.levels[0])
        self.fft_size = fft_size

    def add_columns(self, columns: np.ndarray, n0: int, fft_size: int) -> None:
        """New display spectrogram columns from the worker."""
        if fft_size != self.fft_size:
            self.set_fft_size(fft_size)
        self.buffer.append(columns[:, :self.buffer.bins], n0)
        self._new_columns = True

    def add_whistle(self, anchor: Anchor) -> None:
        """Box a detected whistle on the spectrogram; a revision of a boxed whistle (same start) reshapes
        its box (a whistle reported early grows to its final end) or removes it (withdrawn)."""
        lo, hi = (min(anchor.freqs_hz) - 250, max(anchor.freqs_hz) + 250) if anchor.freqs_hz else WHISTLE_BAND
        rect = QRectF(anchor.start / self.rate, lo, (anchor.end - anchor.start) / self.rate, hi - lo)
        for i in range(len(self._whistle_boxes) - 1, -1, -1):
            box = self._whistle_boxes[i][1]
            if box.data(0) == anchor.start:
                if anchor.withdrawn:
                    self.spec.removeItem(box)
                    del self._whistle_boxes[i]
                else:
                    box.setRect(rect)
                    self._whistle_boxes[i] = (anchor.end, box)
                return
        if anchor.withdrawn:
            return
        box = QGraphicsRectItem(rect)
        box.setData(0, anchor.start)
        box.setPen(pg.mkPen("#ff9f1c", width=2, cosmetic=True))
        box.setZValue(10)
        self.spec.addItem(box)
        self._whistle_boxes.append((anchor.end, box))

    # --- loudness ----------------------------------------------------------------------------
    def _build_loudness(self) -> None:
        self.loud.setYRange(-50, -12, padding=0)
        legend = self.loud.addLegend(offset=(8, 2), colCount=3, labelTextColor=TEXT)
        legend.setBrush(pg.mkBrush(15, 19, 23, 200))
        self.momentary = self.loud.plot(pen=pg.mkPen("#5aa9e6", width=1), name="momentary")
        self.short_term = self.loud.plot(pen=pg.mkPen("#f2f2f2", width=2), name="short-term")
        self.baseline = self.loud.plot(pen=pg.mkPen("#f2c14e", width=1, style=Qt.PenStyle.DashLine),
                                       name="baseline")
        self._loud = np.zeros((0, 4), dtype=np.float64)  # n, momentary, short-term, baseline
        self._loud_pending: list[tuple[float, float, float, float]] = []
        self._surges: list[tuple[int, pg.LinearRegionItem]] = []

    def add_loudness(self, readings: tuple[LoudnessReading, ...], baseline: float | None) -> None:
        """New loudness readings (and the detector's adaptive baseline, when it offers one); drawn at the
        next paint."""
        b = np.nan if baseline is None else baseline
        self._loud_pending += [(r.n, r.momentary_lufs, r.short_term_lufs, b) for r in readings]

    def _draw_loudness(self) -> None:
        rows = np.array(self._loud_pending, dtype=np.float64)
        self._loud_pending = []
        keep_from = rows[-1, 0] - KEEP_S * self.rate
        self._loud = np.concatenate((self._loud[self._loud[:, 0] >= keep_from], rows))
        t = self._loud[:, 0] / self.rate
        self.momentary.setData(t, np.maximum(self._loud[:, 1], -70))
        self.short_term.setData(t, np.maximum(self._loud[:, 2], -70))
        self.baseline.setData(t, self._loud[:, 3], connect="finite")

    def add_surge(self, anchor: Anchor) -> None:
        """Mark a detected crowd surge."""
        region = pg.LinearRegionItem((anchor.start / self.rate, anchor.end / self.rate), movable=False,
                                     brush=pg.mkBrush(242, 193, 78, 50), pen=pg.mkPen(242, 193, 78, 160))
        self.loud.addItem(region)
        self._surges.append((anchor.end, region))

    # --- event lane --------------------------------------------------------------------------
    def _build_lane(self) -> None:
        self.lane.setYRange(0, 1, padding=0.1)
        self.lane.getAxis("left").setTicks([[(0.75, "logged"), (0.25, "time")]])
        self.links = {s: self.lane.plot(pen=pg.mkPen(c, width=1.5), connect="pairs")
                      for s, c in STATUS_COLOURS.items()}
        self._brushes = {s: pg.mkBrush(c) for s, c in STATUS_COLOURS.items()}
        self.logged_marks = pg.ScatterPlotItem(symbol="t", size=10, brush=pg.mkBrush(LOGGED_COLOUR), pen=None)
        self.time_marks = pg.ScatterPlotItem(symbol="o", size=11, pen=pg.mkPen("#000000"))
        self.selected_mark = pg.ScatterPlotItem(symbol="o", size=19, brush=None, pen=pg.mkPen(TEXT, width=2))
        for item in (self.logged_marks, self.time_marks, self.selected_mark):
            self.lane.addItem(item)
        self._labels: dict[str, pg.TextItem] = {}
        self._shown: tuple[Callable, Callable, str | None] | None = None
        self.lane.sigXRangeChanged.connect(self._scrolled)
        self.handle = pg.InfiniteLine(angle=90, movable=True, pen=pg.mkPen(TEXT, width=1),
                                      hoverPen=pg.mkPen("#ffffff", width=3))
        self.handle.hide()
        self.handle.sigPositionChangeFinished.connect(
            lambda line: self.marker_dragged.emit(int(round(line.value() * self.rate))))
        self.lane.addItem(self.handle)

    def show_events(self, near: Callable[[float, float, int], Sequence[str]],
                    view: Callable[[str], tuple[EventRow, int]], selected: str | None) -> None:
        """Draw the events in view and a window's width either side, the newest LANE_LIMIT at most: ``near``
        gives them (arrival order) from a sample range and a limit, ``view`` an event's row and its logged
        time on the media clock; name the newest LABEL_LIMIT of them. While frozen, scrolling draws the
        newly shown ones."""
        self._shown = (near, view, selected)
        segments: dict[str, list[float]] = {s: [] for s in STATUS_COLOURS}
        logged_x, time_x, time_brush = [], [], []
        (x0, x1), margin = self.lane.viewRange()[0], self.window_s
        named: list[tuple[EventRow, float]] = []
        for eid in reversed(near((x0 - margin) * self.rate, (x1 + margin) * self.rate, LANE_LIMIT)):
            row, logged_n = view(eid)
            logged_x.append(logged_n / self.rate)
            if row.working_n is None:
                continue
            x = row.working_n / self.rate
            time_x.append(x)
            time_brush.append(self._brushes[row.status])
            segments[row.status] += [logged_x[-1], x]
            named.append((row, x))
        self._name(named[:LABEL_LIMIT])
        self.logged_marks.setData(logged_x, [0.75] * len(logged_x))
        self.time_marks.setData(time_x, [0.25] * len(time_x), brush=time_brush)
        n = None if selected is None else view(selected)[0].working_n
        sel = [] if n is None else [n / self.rate]
        self.selected_mark.setData(sel, [0.25] * len(sel))
        if sel and not self.handle.moving:
            self.handle.setValue(sel[0])
        self.handle.setVisible(bool(sel))
        for status, xs in segments.items():
            self.links[status].setData(xs, [0.75, 0.25] * (len(xs) // 2))

    def _name(self, named: list[tuple[EventRow, float]]) -> None:
        """Label these events and no others (a label per event would cost every frame its transform)."""
        keep = {row.event.id for row, _ in named}
        for eid in [eid for eid in self._labels if eid not in keep]:
            self.lane.removeItem(self._labels.pop(eid))
        for row, x in named:
            self._label(row, x)

    def _label(self, row: EventRow, x: float) -> None:
        label = self._labels.get(row.event.id)
        if label is None:
            label = self._labels[row.event.id] = pg.TextItem(anchor=(-0.15, 0.5))
            self.lane.addItem(label)
        label.setText(row.event.type.replace("_", " "), color=STATUS_COLOURS[row.status])
        label.setPos(x, 0.25)

    # --- scrolling and painting --------------------------------------------------------------
    def paint(self, head_n: int) -> None:
        """Scroll to the live head (unless frozen) and redraw the visible spectrogram if it changed."""
        self.head_n = head_n
        head_s = head_n / self.rate
        self.playhead.setValue(head_s)
        if not self.frozen or self._new_columns:
            self.frames_painted += 1
        if not self.frozen:
            self.spec.setXRange(head_s - self.window_s, head_s, padding=0)
        if self._new_columns:
            self._draw_image()
        if self._loud_pending:
            self._draw_loudness()
        self._forget_before(head_n - int(KEEP_S * self.rate))

    def _draw_image(self) -> None:
        """Only the columns in view go to the image item (converting all history would stall the GUI)."""
        img, n0 = self.buffer.view()
        x0, x1 = self.spec.viewRange()[0]
        first = max(0, int((x0 * self.rate - n0) / DISPLAY_HOP) - 1)
        last = min(len(img), int((x1 * self.rate - n0) / DISPLAY_HOP) + 2)
        self._new_columns = False
        if last <= first:
            self.image.clear()
            return
        self.image.setImage(img[first:last], autoLevels=False, levels=self.levels)
        left = (n0 + first * DISPLAY_HOP - DISPLAY_HOP / 2) / self.rate
        self.image.setRect(QRectF(left, 0.0, (last - first) * DISPLAY_HOP / self.rate,
                                  img.shape[1] * self.rate / self.fft_size))

    def set_frozen(self, frozen: bool) -> None:
        """Stop following the live head (the operator may then drag and zoom the time axis) or resume."""
        self.frozen = frozen
        self.spec.setMouseEnabled(x=frozen, y=False)
        self._new_columns = True
        if not frozen:
            self.spec.setXRange(self.head_n / self.rate - self.window_s, self.head_n / self.rate, padding=0)
            if self._shown is not None:
                self.show_events(*self._shown)

    def _scrolled(self) -> None:
        if self.frozen and self._shown is not None:
            self.show_events(*self._shown)

    def set_levels(self, floor: float, ceiling: float) -> None:
        """The dB range of the colour map."""
        self.levels = (floor, ceiling)
        self._new_columns = True

    def _forget_before(self, n: int) -> None:
        for items, plot in ((self._whistle_boxes, self.spec), (self._surges, self.loud)):
            while items and items[0][0] < n:
                plot.removeItem(items.pop(0)[1])

    def _clicked(self, ev) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
            return
        pos = ev.scenePos()
        if self.spec.sceneBoundingRect().contains(pos) or self.loud.sceneBoundingRect().contains(pos):
            x = self.spec.vb.mapSceneToView(pos).x()
            self.set_cursor(int(round(x * self.rate)))
            self.cursor_set.emit(self.cursor_n)

    def set_cursor(self, n: int) -> None:
        """Place the operator's cursor at media sample ``n``."""
        self.cursor_n = n
        self.cursor.setValue(n / self.rate)
        self.cursor.show()
