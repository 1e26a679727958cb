"""The training window: the match replays at live pace (video beside the console's spectrogram timeline),
the trainee logs with one key per event type, and at the end gets a scored report."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from html import escape
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QCheckBox, QGridLayout, QHBoxLayout, QLabel, QListWidget, QMainWindow, QPushButton,
                               QSlider, QSplitter, QStatusBar, QVBoxLayout, QWidget)

from app.settings import ConsoleSettings
from app.theme import ACCENT, MUTED
from app.keymap import Keymap
from app.training.hotkeys import CONTROLS, TRAINING_ACTIONS, event_type
from app.training.sound import SoundOut
from app.training.video_pane import VideoPane
from app.views.timeline import Timeline
from core import ANALYSIS_RATE
from core.dsp.loudness import SampleLoudnessMeter
from core.dsp.stft import StreamingSTFT
from core.live.worker import DISPLAY_HOP
from core.model import Anchor, AudioBlock, LoggedEvent
from core.training.clock import PlaybackClock
from core.training.html import render_html
from core.training.material import TrainingMaterial
from core.training.report import build_report, corrected_by_matchsync
from core.training.store import TrainingStore

PAINT_INTERVAL_MS = 40
REPLAY_BACK_S = 10.0
FFT_SIZE = 512


@dataclass
class TrainingSetup:
    """What the window needs: who trains, where sessions, keys and reports go, and the time source."""

    trainee: str
    store: TrainingStore
    keymap: Keymap
    reports_dir: Path
    now: Callable[[], float] = time.monotonic
    sound: SoundOut = field(default_factory=SoundOut)


class TrainingWindow(QMainWindow):
    """Video and timeline above; the keys, the trainee's log and the switches below; a status bar."""

    reported = Signal(str)
    """Emitted with the HTML report's path when a session is finished."""

    def __init__(self, setup: TrainingSetup) -> None:
        super().__init__()
        self.setup = setup
        self.store = setup.store
        self.keymap = setup.keymap
        self.material: TrainingMaterial | None = None
        self.clock: PlaybackClock | None = None
        self.entries: list[LoggedEvent] = []
        self.anchors: tuple[Anchor, ...] | None = None
        self.report: dict | None = None
        self._count = 0
        self._shown_anchor = 0
        self._fed_n = 0
        self.setWindowTitle(f"MatchSync training · {setup.trainee}")
        self.resize(1360, 800)
        self._build()
        self._build_actions()
        self.timer = QTimer(self)
        self.timer.setInterval(PAINT_INTERVAL_MS)
        self.timer.timeout.connect(self.tick)

    # --- layout ------------------------------------------------------------------------------
    def _build(self) -> None:
        self.video = VideoPane()
        self.video.message = "preparing the match…"
        self.scrub = QSlider(Qt.Orientation.Horizontal)
        self.scrub.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.scrub.setToolTip("Drag to a point and release to replay from there")
        self.scrub.sliderReleased.connect(lambda: self.replay_from(self.scrub.value() / 10))
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.video, 1)
        column.addWidget(self.scrub)
        self.upper = QSplitter(Qt.Orientation.Horizontal)
        self.upper.addWidget(left)
        self.timeline = self._new_timeline()
        self.upper.addWidget(self.timeline)
        self.upper.setSizes([560, 800])

        self.keys_panel = QLabel()
        self.keys_panel.setTextFormat(Qt.TextFormat.RichText)
        self.keys_panel.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.log_list = QListWidget()
        self.log_list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.log_list.setMinimumWidth(200)
        self.summary = QLabel("Log each event the moment it happens. Finish (Ctrl+Return) for your report.")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop)

        self.assist_box = QCheckBox("Assist: show MatchSync's detections")
        self.lateness_box = QCheckBox("Apply my calibrated lateness")
        self.lateness_box.toggled.connect(self._lateness_toggled)
        self.assist_box.toggled.connect(self._assist_toggled)
        buttons = QHBoxLayout()
        for label, slot in (("Pause", self.do_pause), ("Replay from cursor", self.do_replay),
                            ("Calibrate", self.do_calibrate), ("Progress", self.do_progress),
                            ("Finish", self.do_finish)):
            b = QPushButton(label)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.clicked.connect(lambda *_, s=slot: s())
            buttons.addWidget(b)
        for box in (self.assist_box, self.lateness_box):
            box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        switches = QVBoxLayout()
        switches.addWidget(self.assist_box)
        switches.addWidget(self.lateness_box)
        switches.addLayout(buttons)
        switches.addWidget(self.summary, 1)

        lower = QWidget()
        grid = QGridLayout(lower)
        grid.setContentsMargins(6, 2, 6, 2)
        for col, (title, widget) in enumerate((("KEYS", self.keys_panel), ("MY LOG", self.log_list))):
            label = QLabel(title)
            label.setObjectName("title")
            grid.addWidget(label, 0, col)
            grid.addWidget(widget, 1, col)
        grid.addLayout(switches, 1, 2)
        grid.setColumnStretch(0, 5)
        grid.setColumnStretch(1, 3)
        grid.setColumnStretch(2, 3)

        outer = QSplitter(Qt.Orientation.Vertical)
        outer.addWidget(self.upper)
        outer.addWidget(lower)
        outer.setSizes([500, 300])
        self.setCentralWidget(outer)

        bar = QStatusBar()
        self.setStatusBar(bar)
        self.position_label = QLabel("--:--")
        self.state_label = QLabel("READY")
        self.state_label.setObjectName("mode_frozen")
        self.alert = QLabel(self.setup.sound.problem or "")
        self.alert.setObjectName("alert")
        bar.addWidget(self.state_label)
        bar.addWidget(self.position_label)
        bar.addWidget(QLabel(f"trainee: {self.setup.trainee}"))
        bar.addWidget(self.alert, 1)
        self._show_keys()
        self._show_calibration()

    def _new_timeline(self) -> Timeline:
        s = ConsoleSettings()
        timeline = Timeline(ANALYSIS_RATE, 20.0, FFT_SIZE, (s.db_floor, s.db_ceiling))
        timeline.lane.getAxis("left").setTicks([[(0.75, "my log"), (0.25, "")]])
        self._stft = StreamingSTFT(FFT_SIZE, DISPLAY_HOP)
        self._meter = SampleLoudnessMeter(ANALYSIS_RATE)
        self._origin_n = self._fed_n = self._shown_anchor = 0
        return timeline

    def _build_actions(self) -> None:
        self.actions_by_id: dict[str, QAction] = {}
        for spec in TRAINING_ACTIONS:
            action = QAction(spec.label, self)
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            handler = getattr(self, spec.handler)
            action.triggered.connect(lambda *_, a=spec.id, h=handler: h(a) if event_type(a) else h())
            self.addAction(action)
            self.actions_by_id[spec.id] = action
        self.apply_keys()

    def apply_keys(self) -> None:
        """Put the keys in force on every action and on the keys panel."""
        for action_id, action in self.actions_by_id.items():
            action.setShortcuts([QKeySequence(k) for k in self.keymap.keys[action_id]])
        self._show_keys()

    def _show_keys(self) -> None:
        def chip(keys: tuple[str, ...], label: str) -> str:
            return (f"<td style='padding:2px 6px'><span style='background:#26303a; color:#f2c14e; padding:1px 6px;"
                    f" font-family:monospace; font-weight:700'>&nbsp;{escape(' / '.join(keys))}&nbsp;</span></td>"
                    f"<td style='padding:2px 12px 2px 2px'>{escape(label)}</td>")

        events = [a for a in TRAINING_ACTIONS if event_type(a.id)]
        cells = [chip(self.keymap.keys[a.id], event_type(a.id).replace("_", " ")) for a in events]
        rows = ["<tr>" + "".join(cells[i:i + 3]) + "</tr>" for i in range(0, len(cells), 3)]
        controls = [chip(self.keymap.keys[a.id], a.label.split(" (")[0].split(":")[0]) for a in CONTROLS]
        rows += [f"<tr><td colspan=6 style='padding-top:6px; color:{MUTED}'>controls</td></tr>"]
        rows += ["<tr>" + "".join(controls[i:i + 3]) + "</tr>" for i in range(0, len(controls), 3)]
        self.keys_panel.setText(f"<table cellspacing=0>{''.join(rows)}</table>")

    # --- loading and playing -----------------------------------------------------------------
    def load(self, material: TrainingMaterial) -> None:
        """Take the match to train on and start playing it from the beginning."""
        self.material = material
        self.clock = PlaybackClock(material.duration_s, self.setup.now)
        self.scrub.setRange(0, int(material.duration_s * 10))
        self.video.message = "no video in this match"
        self.setWindowTitle(f"MatchSync training · {self.setup.trainee} · {material.name}")
        self.do_pause()

    def set_detections(self, anchors: tuple[Anchor, ...]) -> None:
        """MatchSync's whistle and crowd anchors for the match (assist view and the report's comparison)."""
        self.anchors = tuple(sorted(anchors, key=lambda a: a.start))

    @property
    def position(self) -> float:
        return self.clock.position() if self.clock else 0.0

    def tick(self) -> None:
        """Bring the video, spectrogram, loudness and assist marks up to the clock; finish at the end."""
        if self.material is None:
            return
        pos = self.position
        head_n = int(pos * ANALYSIS_RATE)
        self._feed(head_n)
        if self.assist_box.isChecked() and self.anchors:
            while self._shown_anchor < len(self.anchors) and self.anchors[self._shown_anchor].start <= head_n:
                a = self.anchors[self._shown_anchor]
                (self.timeline.add_whistle if a.kind == "whistle" else self.timeline.add_surge)(a)
                self._shown_anchor += 1
        self.timeline.paint(head_n)
        if self.material.video is not None:
            self.video.show_frame(self.material.video.frame(pos), self.material.video.caption(pos))
        if not self.scrub.isSliderDown():
            self.scrub.setValue(int(pos * 10))
        self.position_label.setText(f"{int(pos // 60):02d}:{pos % 60:04.1f} / "
                                    f"{int(self.material.duration_s // 60):02d}:{self.material.duration_s % 60:04.1f}")
        if self.clock.ended and self.report is None:
            self.do_finish()

    def _feed(self, head_n: int) -> None:
        if head_n <= self._fed_n:
            return
        o = self._origin_n
        block = AudioBlock(self._fed_n - o, self.material.audio[self._fed_n:head_n])
        frames = self._stft.feed(block)
        if len(frames.power):
            db = 10.0 * np.log10(frames.power * (16.0 / FFT_SIZE ** 2) + 1e-12, dtype=np.float32)
            self.timeline.add_columns(db, o + frames.first * DISPLAY_HOP + FFT_SIZE // 2, FFT_SIZE)
        readings = self._meter.feed(block)
        if readings:
            self.timeline.add_loudness(tuple(replace(r, n=r.n + o) for r in readings), None)
        self._fed_n = head_n

    def _restart_timeline(self, from_s: float) -> None:
        """A fresh timeline showing the last 20 s before ``from_s`` (after a replay or with assist off)."""
        old = self.timeline
        self.timeline = self._new_timeline()
        self.upper.replaceWidget(1, self.timeline)
        old.deleteLater()
        start_n = max(0, int((from_s - 20.0) * ANALYSIS_RATE))
        self._origin_n = self._fed_n = start_n - start_n % DISPLAY_HOP
        self._feed(int(from_s * ANALYSIS_RATE))
        if self.anchors and self.assist_box.isChecked():
            self._shown_anchor = 0
        else:
            self._shown_anchor = int(np.searchsorted([a.start for a in self.anchors or ()], self._fed_n))
        for e in self.entries:
            self._mark_entry(e)

    # --- the trainee's actions ---------------------------------------------------------------
    def do_log(self, action_id: str) -> None:
        """Log an event of the action's type at the current media time (less the calibrated lateness if
        the trainee applies it)."""
        if self.clock is None or self.report is not None:
            return
        self._count += 1
        t = round(self.position - self._lateness(), 4)
        entry = LoggedEvent(f"trainee-{self._count}", event_type(action_id), t)
        self.entries.append(entry)
        self.log_list.insertItem(0, f"{int(t // 60):02d}:{t % 60:06.3f}  {entry.type.replace('_', ' ')}")
        self._mark_entry(entry)

    def _mark_entry(self, entry: LoggedEvent) -> None:
        line = pg.InfiniteLine(entry.t, angle=90, pen=pg.mkPen(ACCENT, width=2))
        text = pg.TextItem(entry.type.replace("_", " "), color=ACCENT, anchor=(0, 0.5))
        text.setPos(entry.t, 0.75)
        self.timeline.lane.addItem(line)
        self.timeline.lane.addItem(text)

    def _lateness(self) -> float:
        trainee = self.store.trainee(self.setup.trainee)
        return (trainee.lateness_s or 0.0) if trainee.apply_lateness else 0.0

    def do_undo(self) -> None:
        """Remove the last entry."""
        if self.entries and self.report is None:
            self.entries.pop()
            self.log_list.takeItem(0)
            self._restart_timeline(self.position)

    def _play_sound(self, from_s: float) -> None:
        """Sound from ``from_s``; if the device fails, say so in the status bar and carry on silently."""
        if not self.setup.sound.play(self.material.audio, ANALYSIS_RATE, from_s) and self.setup.sound.problem:
            self.alert.setText(self.setup.sound.problem)

    def do_pause(self) -> None:
        """Pause or resume the replay (and its sound)."""
        if self.clock is None:
            return
        if self.clock.running:
            self._stop()
            self.state_label.setText("PAUSED")
        else:
            self.clock.play()
            self._play_sound(self.clock.position())
            self.timer.start()
            self.state_label.setText("PLAYING")
            self.state_label.setObjectName("mode_live")
            self._restyle(self.state_label)
        self.tick()

    def _stop(self) -> None:
        self.clock.pause()
        self.setup.sound.stop()
        self.timer.stop()
        self.state_label.setObjectName("mode_frozen")
        self._restyle(self.state_label)

    @staticmethod
    def _restyle(label: QLabel) -> None:
        label.style().unpolish(label)
        label.style().polish(label)

    def do_replay(self) -> None:
        """Replay from the timeline cursor (or 10 s back): entries from that point on are dropped."""
        if self.clock is None or self.report is not None:
            return
        cursor = self.timeline.cursor_n
        self.replay_from(cursor / ANALYSIS_RATE if cursor is not None else self.position - REPLAY_BACK_S)

    def replay_from(self, t: float) -> None:
        """Go back (or forward) to media time ``t``, forgetting the entries from there on."""
        t = min(max(0.0, t), self.material.duration_s)
        kept = [e for e in self.entries if e.t < t]
        for _ in range(len(self.entries) - len(kept)):
            self.log_list.takeItem(0)
        self.entries = kept
        self.clock.seek(t)
        self._restart_timeline(t)
        if self.clock.running:
            self._play_sound(t)
        self.tick()

    def _assist_toggled(self, on: bool) -> None:
        if self.material is not None:
            self._restart_timeline(self.position)
            self.tick()

    def do_assist(self) -> None:
        self.assist_box.toggle()

    def _lateness_toggled(self, on: bool) -> None:
        self.store.set_apply_lateness(self.setup.trainee, on)

    def _show_calibration(self) -> None:
        trainee = self.store.trainee(self.setup.trainee)
        self.lateness_box.blockSignals(True)
        self.lateness_box.setChecked(trainee.apply_lateness)
        self.lateness_box.blockSignals(False)
        self.lateness_box.setEnabled(trainee.lateness_s is not None)
        if trainee.lateness_s is not None:
            self.lateness_box.setText(f"Apply my calibrated lateness ({trainee.lateness_s * 1000:.0f} ms)")

    def do_calibrate(self) -> None:
        """Open the reaction calibration (the replay pauses)."""
        from app.training.calibration import CalibrationDialog

        if self.clock is not None and self.clock.running:
            self.do_pause()
        self.calibration = CalibrationDialog(self, self.store, self.setup.trainee, self.setup.now, self.setup.sound)
        self.calibration.finished.connect(lambda *_: self._show_calibration())
        self.calibration.show()

    def do_progress(self) -> None:
        """Show the trainee's accuracy over their sessions."""
        from app.training.progress import ProgressDialog

        self.progress = ProgressDialog(self, self.store, self.setup.trainee)
        self.progress.show()

    def do_remap(self) -> None:
        from app.dialogs import RemapDialog

        self.remap = RemapDialog(self, self.keymap, self.apply_keys, "Remap training keys", rows_per_column=12)
        self.remap.show()

    # --- the end -----------------------------------------------------------------------------
    def do_finish(self) -> None:
        """Score the log, write the HTML report, keep the session and show the summary."""
        if self.material is None or self.report is not None:
            return
        if self.clock.running:
            self._stop()
        corrected = corrected_by_matchsync(self.anchors, self.entries) if self.anchors is not None else None
        self.report = build_report(self.setup.trainee, self.material.name, self.material.truth, self.entries,
                                   corrected, self._lateness())
        self.report["duration_s"] = self.material.duration_s
        self.store.add_session(self.setup.trainee, self.material.name, self.report)
        self.setup.reports_dir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        path = self.setup.reports_dir / f"{_slug(self.setup.trainee)}-{stamp}.html"
        path.write_text(render_html(self.report), encoding="utf-8")
        s = self.report["trainee"]["overall"]
        median = "–" if s["median_lateness_s"] is None else f"{s['median_lateness_s'] * 1000:+.0f} ms"
        self.summary.setText(
            f"<b>Session scored</b>: F1 {s['f1']:.2f} · hits ≤500 ms {s['hits_500ms']}/{s['truth']} · "
            f"≤1000 ms {s['hits_1000ms']}/{s['truth']} · misses {s['misses']} · extra {s['extra']} · "
            f"wrong type {s['wrong_type']} · median lateness {median}"
            + (f"<br>MatchSync-corrected F1 {self.report['matchsync']['overall']['f1']:.2f}"
               if self.report["matchsync"] else "<br>MatchSync comparison unavailable (detections not ready)")
            + f"<br>Report: {escape(str(path))}")
        self.state_label.setText("FINISHED")
        self.alert.setText(f"report saved: {path}")
        self.reported.emit(str(path))


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:60] or "trainee"
