"""The operator console's main window: observes the worker's values, sends decisions to the event book."""
from __future__ import annotations

import queue
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QMainWindow, QSplitter, QTableView, \
    QTabWidget, QVBoxLayout, QWidget

from app.actions import ACTIONS
from app.dialogs import HelpOverlay, RemapDialog, SettingsDialog
from app.keymap import Keymap
from app.session_writer import SessionWriter
from app.settings import ConsoleSettings, save_settings
from app.views.detail import DetailPanel
from app.views.lane_index import LaneIndex
from app.views.status import ConsoleStatus
from app.views.table import EventTableModel, RowView
from app.views.timeline import Timeline
from core import ANALYSIS_RATE
from core.clock import MediaClock
from core.errors import InputError
from core.live.worker import DspWorker, LiveUpdate
from core.session.book import EventBook, EventRow, stored_from
from core.session.export import export_session
from core.session.store import SessionStore
from core.sync.proposal import Proposal

PAINT_INTERVAL_MS = 28
TABLE_REFRESH_S = 0.25
REFRESH_SPACING = 8.0
"""Between two ticks' event refreshes, at least this many times the last one's duration: with thousands of
events arriving, the table and lane follow at a rate that leaves the GUI thread free."""
STATUS_REFRESH_S = 0.1
APPLY_BUDGET_S = 0.012
PROPOSAL_SLICE = 100
POSITION_SAVE_S = 1.0


@dataclass(frozen=True, slots=True)
class ConsoleSetup:
    """What the window needs: a worker (None when the source could not open, with ``problem`` saying
    why), the session file, the operator, and where settings and keys persist."""

    worker: DspWorker | None
    store: SessionStore
    operator: str
    settings: ConsoleSettings
    settings_path: Path
    keymap: Keymap
    title: str
    problem: str | None = None
    synchronous: bool = False


class ConsoleWindow(QMainWindow):
    """Spectrogram, loudness and event lane above; event table and detail panel below; status bar."""

    decided = Signal(object)
    """Emitted with each Decision after it is stored."""
    applied = Signal(object)
    """Emitted with each LiveUpdate after it is shown (benchmarks measure latency from it)."""
    ended = Signal()

    def __init__(self, setup: ConsoleSetup) -> None:
        super().__init__()
        self.setup = setup
        self.rate = setup.worker.source.rate if setup.worker else ANALYSIS_RATE
        self.clock = MediaClock(self.rate)
        self.settings = setup.settings
        self.keymap = setup.keymap
        self.worker = setup.worker
        self.store = setup.store
        self.writer = SessionWriter(setup.store.path)
        """Writes the GUI thread does not wait for: proposals, the position, the intake's events."""
        self.book = EventBook(setup.store, setup.operator, self.logged_to_media)
        self.lane = LaneIndex(self.book, self.rate)
        self.book.head_n = int(setup.store.get_meta("position", "0"))
        self.clock_map = None
        self.selected: str | None = None
        self.head_n = self.book.head_n
        self._resume_n = self.head_n
        """Where the interrupted session stopped; the audio before it is replayed at full speed."""
        self._dirty = True
        self._seek_pending = True
        """Whether the selection may have to move to a pending event (after new proposals or a decision)."""
        self._last_table = 0.0
        self._events_due = 0.0
        self._logged_n: dict[tuple[str, float], int] = {}
        self._logged_map = None
        self._last_status = 0.0
        self._last_update: LiveUpdate | None = None
        self._proposals: deque[tuple[Proposal, int]] = deque()
        """Proposals from the worker not shown yet, each with the media sample at which it appeared."""
        self._peak_dbfs = -120.0
        self._last_position_save = 0.0
        self.setWindowTitle(f"MatchSync — {setup.title}")
        self.resize(1600, 1000)
        self._build()
        self._build_actions()
        if setup.problem:
            self.status.alert.setText(setup.problem)
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self.tick)
        self.timer.start(PAINT_INTERVAL_MS)
        if self.worker is not None:
            self.worker.request_fft_size(self.settings.fft_size)
            self.worker.source.start()
            if not setup.synchronous:
                self.worker.start()
        self.refresh_events()

    # --- construction ------------------------------------------------------------------------
    def _build(self) -> None:
        s = self.settings
        self.timeline = Timeline(self.rate, s.window_s, s.fft_size, (s.db_floor, s.db_ceiling))
        self.timeline.cursor_set.connect(lambda n: self.status.alert.setText(
            f"cursor at {self.clock.timecode(n, self.settings.fps)}"))
        self.timeline.marker_dragged.connect(
            lambda n: self._on_selected(lambda eid: self.book.set_time(eid, n)))
        self.model = EventTableModel(self.rate, self.timecode, self.book.ids, self.row_view)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(
            lambda cur, _prev: self.select(self.book.ids[cur.row()] if cur.isValid() else None, scroll=False))
        self.detail = DetailPanel(self.rate, self.timecode)
        self.detail.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        self.lower = QSplitter(Qt.Orientation.Horizontal)
        self.lower.addWidget(self._titled("EVENTS", self.table))
        self.side = QSplitter(Qt.Orientation.Vertical)
        self.side.addWidget(self._titled("SELECTED EVENT", self.detail))
        self.lower.addWidget(self.side)
        self.lower.setSizes([1100, 500])
        self.panels: QTabWidget | None = None
        main = QSplitter(Qt.Orientation.Vertical)
        main.addWidget(self.timeline)
        main.addWidget(self.lower)
        main.setSizes([620, 380])
        self.setCentralWidget(main)
        self.status = ConsoleStatus(self.statusBar())
        self.overlay = HelpOverlay(self)

    def add_panel(self, title: str, widget: QWidget) -> None:
        """Mount a panel (sinks, feeds, sessions) as a tab below the detail panel (the event table keeps
        its width)."""
        if self.panels is None:
            self.panels = QTabWidget()
            self.panels.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            self.side.addWidget(self.panels)
            self.side.setSizes([220, 200])
            self.lower.setSizes([1050, 550])
        self.panels.addTab(widget, title)

    @staticmethod
    def _titled(title: str, widget: QWidget) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(4, 4, 4, 4)
        label = QLabel(title)
        label.setObjectName("title")
        layout.addWidget(label)
        layout.addWidget(widget)
        return box

    def _build_actions(self) -> None:
        self.actions_by_id: dict[str, QAction] = {}
        for spec in ACTIONS:
            action = QAction(spec.label, self)
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(getattr(self, spec.handler))
            self.addAction(action)
            self.actions_by_id[spec.id] = action
        self.apply_keymap()

    def apply_keymap(self) -> None:
        """Put the keys in force on every QAction."""
        for action_id, action in self.actions_by_id.items():
            action.setShortcuts([QKeySequence(k) for k in self.keymap.keys[action_id]])

    # --- the clock views ---------------------------------------------------------------------
    def timecode(self, n: int) -> str:
        """SMPTE timecode of media sample ``n`` at the configured frame rate."""
        return self.clock.timecode(n, self.settings.fps)

    def logged_to_media(self, t: float) -> int:
        """A logger-clock time on the media clock, through the engine's current clock map."""
        if self.clock_map is None:
            return int(round(t * self.rate))
        return int(round(self.clock_map.media_time(t) * self.rate))

    # --- the display loop --------------------------------------------------------------------
    def tick(self) -> None:
        """Apply every waiting update, run the policies, and paint (display rate)."""
        if self.worker is not None:
            if self.setup.synchronous:
                self.worker.step()
            budget_end = time.monotonic() + APPLY_BUDGET_S  # a catching-up worker must not freeze the GUI
            while time.monotonic() < budget_end:
                try:
                    update = self.worker.updates.get_nowait()
                except queue.Empty:
                    break
                self.apply_update(update)
            self.take_proposals(budget_end)
        if self._seek_pending:  # the first pending event, when the selected one is not (or none is)
            self._seek_pending = False
            if self.selected is None or not self._is_pending(self.selected):
                eid = next((eid for eid in self.book.ids if self._is_pending(eid)), None)
                if eid is not None:
                    self.select(eid)
        self.run_deadline_policy()
        now = time.monotonic()
        if self._dirty and now >= self._events_due:
            self.refresh_events()
        elif now - self._last_table >= TABLE_REFRESH_S:  # deadline countdowns
            self.model.refresh()
            self._last_table = now
        if now - self._last_status >= STATUS_REFRESH_S:
            self.refresh_status()
            self._last_status = now
        if now - self._last_position_save >= POSITION_SAVE_S and self.head_n > self._resume_n:
            self.writer.set_position(self.head_n)
            self._last_position_save = now
        self.timeline.paint(self.head_n)

    def apply_update(self, u: LiveUpdate) -> None:
        """Show one worker update: spectrogram, loudness, anchors, new events and proposals."""
        self.head_n = self.book.head_n = u.head_n
        if len(u.columns):
            self.timeline.add_columns(u.columns, u.column_n0, u.fft_size)
        crowd = getattr(self.worker.pipeline, "crowd", None)
        self.timeline.add_loudness(u.loudness, getattr(crowd, "baseline_lufs", None))
        for a in u.anchors:
            (self.timeline.add_whistle if a.kind == "whistle" else self.timeline.add_surge)(a)
        if u.clock is not None:
            self.clock_map = u.clock
        for event in u.events:
            self._dirty |= self.book.add_event(event, u.head_n)
        self._proposals.extend((p, u.head_n) for p in u.proposals)
        self._peak_dbfs = max(self._peak_dbfs, u.peak_dbfs)
        self._last_update = u
        if u.ended:  # the final answers are shown and decided before the session is complete
            self.take_proposals(float("inf"))
            self._end()
        self.applied.emit(u)

    def take_proposals(self, budget_end: float) -> None:
        """Show and store the proposals waiting, PROPOSAL_SLICE at a time until ``budget_end`` (a re-solve
        of thousands of events revises thousands at once; the GUI takes them over a few frames)."""
        while self._proposals and time.monotonic() < budget_end:
            waiting = [self._proposals.popleft() for _ in range(min(PROPOSAL_SLICE, len(self._proposals)))]
            fresh = [p for p in (stored_from(p, at_n) for p, at_n in waiting) if self.book.show_proposal(p)]
            self.writer.put_proposals(fresh)
            for p in fresh:
                self._dirty = self._seek_pending = True
                self.run_confidence_policy(p.event_id)

    def refresh_status(self) -> None:
        """The status bar from the newest update (the level meter shows the peak since the last refresh)."""
        u = self._last_update
        if u is None:
            return
        src = self.worker.source
        self.status.set_level(self._peak_dbfs)
        self._peak_dbfs = -120.0
        self.status.set_health(u.ring.overruns + src.driver_overruns, u.gap_samples / self.rate,
                               u.backlog_samples / self.rate, src.latency_s)
        cm = self.clock_map
        self.status.set_clock(getattr(cm, "offset_s", None), getattr(cm, "drift_ppm", None))
        self.status.set_time(self.head_n / self.rate, self.timecode(self.head_n))
        if src.error or self.writer.error:
            self.status.alert.setText(src.error or self.writer.error)

    def _end(self) -> None:
        self.store.set_position(self.head_n)
        self.store.set_meta("finished", "1")
        self.status.alert.setText("source ended — session complete")
        self.ended.emit()

    # --- policies ----------------------------------------------------------------------------
    def run_confidence_policy(self, eid: str) -> None:
        """Auto-accept a pending proposal at or above the configured confidence."""
        threshold = self.settings.auto_accept
        row = self.book.rows[eid]
        if threshold is not None and row.proposal is not None and row.proposal.confidence >= threshold:
            self._record(self.book.auto(eid, "confidence"))

    def run_deadline_policy(self) -> None:
        """Accept as `auto` every proposal that waited past the deadline, and alert the operator (the book
        reads only the events whose deadline has come)."""
        if self.settings.deadline_s is None:
            return
        for eid in self.book.due_for_deadline(self.head_n, int(self.settings.deadline_s * self.rate)):
            d = self.book.auto(eid, "deadline")
            if d is not None:
                self._record(d)
                row = self.book.rows[eid]
                self.status.alert.setText(f"DEADLINE: {row.event.type} {eid} accepted automatically at "
                                          f"{self.timecode(d.n_after)}")

    # --- selection and refresh ---------------------------------------------------------------
    def _is_pending(self, eid: str) -> bool:
        row = self.book.rows[eid]
        return row.status == "pending" and row.proposal is not None

    def select(self, eid: str | None, scroll: bool = True) -> None:
        """Make ``eid`` the event the keys act on."""
        self.selected = eid
        table_row = None if eid is None else self.model.row_of(eid)
        if table_row is not None and scroll:
            index = self.model.index(table_row, 0)
            self.table.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
            self.table.scrollTo(index)
        self._dirty = True

    def lane_view(self, eid: str) -> tuple[EventRow, int]:
        """An event with its logged time on the media clock (cached until the clock map changes)."""
        row = self.book.rows[eid]
        if self._logged_map is not self.clock_map:  # logged times move only with the clock map
            self._logged_n, self._logged_map = {}, self.clock_map
        logged_n = self._logged_n.get((eid, row.event.t))
        if logged_n is None:
            logged_n = self._logged_n[eid, row.event.t] = self.book.logged_n(eid)
        return row, logged_n

    def row_view(self, eid: str) -> RowView:
        """An event with its logged time on the media clock and the seconds left to its deadline."""
        row, logged_n = self.lane_view(eid)
        deadline = self.settings.deadline_s
        left = None
        if (deadline is not None and row.status == "pending" and row.proposed_at_n is not None
                and not self.book.decided_before(eid)):
            left = deadline - (self.head_n - row.proposed_at_n) / self.rate
        return row, logged_n, left

    def refresh_events(self) -> None:
        """Table, event lane and detail panel from the book."""
        start = time.monotonic()
        self.model.refresh()
        table_row = None if self.selected is None else self.model.row_of(self.selected)
        if table_row is not None and self.table.selectionModel().currentIndex().row() != table_row:
            self.select(self.selected)
        self._last_table = start
        self.timeline.show_events(lambda lo, hi, limit: self.lane.near(self.clock_map, lo, hi, limit),
                                  self.lane_view, self.selected)
        self.detail.show_row(self.book.rows.get(self.selected) if self.selected else None)
        self._dirty = False
        now = time.monotonic()
        self._events_due = now + REFRESH_SPACING * (now - start)

    def _record(self, decision) -> None:
        """A decision is stored (the book wrote it first); now show it."""
        if decision is None:
            return
        self._dirty = self._seek_pending = True
        self.refresh_events()
        self.decided.emit(decision)

    # --- action handlers (named in app.actions.ACTIONS) --------------------------------------
    def _on_selected(self, fn) -> None:
        if self.selected is None:
            self.status.alert.setText("no event selected")
            return
        self._record(fn(self.selected))

    def do_accept(self) -> None:
        self._on_selected(self.book.accept)

    def do_accept_next(self) -> None:
        self._on_selected(self.book.accept)
        self.do_next_pending()

    def do_reject(self) -> None:
        self._on_selected(self.book.reject)

    def _nudge(self, frames: float = 0.0, seconds: float = 0.0) -> None:
        delta = int(round(frames * self.clock.frame_duration_samples(self.settings.fps) + seconds * self.rate))
        self._on_selected(lambda eid: self.book.nudge(eid, delta))

    def do_nudge_back_frame(self) -> None:
        self._nudge(frames=-1)

    def do_nudge_fwd_frame(self) -> None:
        self._nudge(frames=1)

    def do_nudge_back_second(self) -> None:
        self._nudge(seconds=-1)

    def do_nudge_fwd_second(self) -> None:
        self._nudge(seconds=1)

    def do_next_alternative(self) -> None:
        self._on_selected(self.book.next_alternative)

    def do_set_to_cursor(self) -> None:
        n = self.timeline.cursor_n if self.timeline.cursor_n is not None else self.head_n
        self._on_selected(lambda eid: self.book.set_time(eid, n))

    def do_cancel_event(self) -> None:
        self._on_selected(self.book.cancel)

    def do_undo(self) -> None:
        d = self.book.undo()
        if d is not None:
            self.select(d.event_id)
        self._record(d)

    def _step_pending(self, step: int) -> None:
        """Select the next pending event with a proposal after the selected one (before it for ``step``
        -1), wrapping around; the first from the top when none is selected."""
        ids = self.book.ids
        start = self.model.row_of(self.selected) if self.selected is not None else None
        start = (-1 if step > 0 else 0) if start is None else start
        for k in range(1, len(ids) + 1):
            eid = ids[(start + step * k) % len(ids)]
            if self._is_pending(eid):
                self.select(eid)
                return

    def do_next_pending(self) -> None:
        self._step_pending(1)

    def do_previous_pending(self) -> None:
        self._step_pending(-1)

    def do_freeze(self) -> None:
        self.timeline.set_frozen(True)
        self.status.set_mode(True)

    def do_back_to_live(self) -> None:
        self.timeline.set_frozen(False)
        self.status.set_mode(False)

    def do_help(self) -> None:
        if self.overlay.isVisible():
            self.overlay.hide()
        else:
            self.overlay.show_keys(self.keymap)

    def do_export(self) -> None:
        """Write the session as JSONL and CSV beside its file."""
        base = self.store.path.with_suffix("")
        outs = [Path(f"{base}.export.{fmt}") for fmt in ("jsonl", "csv")]
        try:
            for out in outs:
                export_session(self.store.path, out)
        except InputError as exc:
            self.status.alert.setText(f"export failed: {exc}")
            return
        self.status.alert.setText("exported to " + ", ".join(str(o) for o in outs))

    def do_settings(self) -> None:
        self._settings_dialog = SettingsDialog(self, self.settings, self.apply_settings)
        self._settings_dialog.open()

    def do_remap(self) -> None:
        self._remap_dialog = RemapDialog(self, self.keymap, self.apply_keymap)
        self._remap_dialog.open()

    def apply_settings(self, settings: ConsoleSettings) -> None:
        """Use and persist new settings (takes effect while running)."""
        self.settings = settings
        save_settings(self.setup.settings_path, settings)
        self.timeline.window_s = settings.window_s
        self.timeline.set_levels(settings.db_floor, settings.db_ceiling)
        if self.worker is not None:
            self.worker.request_fft_size(settings.fft_size)
        self._dirty = True

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        if self.overlay.isVisible():
            self.overlay.setGeometry(self.rect())

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop the timer, the worker and the source; finish the writes; save the position."""
        self.timer.stop()
        if self.worker is not None:
            self.worker.stop()
            self.worker.source.stop()
        self.writer.close()
        if self.head_n > self._resume_n:
            self.store.set_position(self.head_n)
