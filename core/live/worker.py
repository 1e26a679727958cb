"""The DSP worker: drains a source's ring, runs the detector pipeline and the sync engine, and hands
display-ready values to the GUI through a queue. It runs on its own thread, or step by step in tests."""
from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, replace

import numpy as np

from core.detect.pipeline import DetectorPipeline
from core.dsp.stft import StreamingSTFT
from core.live.ring import RingStats
from core.live.sources import LiveSource
from core.model import Anchor, AudioBlock, LoggedEvent, LoudnessReading

DISPLAY_HOP = 256  # 62.5 spectrogram columns per second
STEP_SAMPLES = 512  # 32 ms: one step per display frame, not per audio block
SOLVE_PAUSE = 9.0  # the sync engine gets at most a tenth of the worker's time


@dataclass(frozen=True, slots=True, eq=False)
class LiveUpdate:
    """Everything one worker step produced, ready to paint. Column ``i`` of ``columns`` is centred on
    media sample ``column_n0 + i * DISPLAY_HOP``; values are dB relative to a full-scale sine."""

    head_n: int
    columns: np.ndarray
    column_n0: int
    fft_size: int
    loudness: tuple[LoudnessReading, ...]
    anchors: tuple[Anchor, ...]
    events: tuple[LoggedEvent, ...]
    proposals: tuple
    clock: object | None
    peak_dbfs: float
    backlog_samples: int
    ring: RingStats
    gap_samples: int
    busy_s: float
    ended: bool


class DspWorker:
    """Owns the pipeline and the engine; nothing else touches them.

    ``origin_n`` is the media sample of the source's first sample: 0, except for a live source (device,
    stream) reopened after an interruption, whose media clock continues where the session stopped.
    """

    def __init__(self, source: LiveSource, engine, feed, fft_size: int = 512, origin_n: int = 0) -> None:
        self.source = source
        self.engine = engine
        self.feed = feed
        self.pipeline = DetectorPipeline(source.rate)
        self.updates: queue.SimpleQueue[LiveUpdate] = queue.SimpleQueue()
        self.origin_n = origin_n
        self._consumed = 0
        self.head_n = origin_n
        self.gap_samples = 0
        self._fft_request = fft_size
        self._display: StreamingSTFT | None = None
        self._display_origin = 0
        self.ended = False
        self._next_solve = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def request_fft_size(self, size: int) -> None:
        """Change the display spectrogram's FFT size from the next step on (any thread)."""
        self._fft_request = size

    def start(self) -> None:
        """Run steps on a thread of its own until stopped."""
        self._thread = threading.Thread(target=self._loop, name="dsp-worker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread (the source is stopped by its owner)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            if self.source.ring.backlog() < STEP_SAMPLES and not self.source.finished.is_set():
                self._stop.wait(0.004)  # gather about one display frame of audio per step
            elif self.step() is None:
                self._stop.wait(0.004)

    def step(self) -> LiveUpdate | None:
        """Process every sample waiting in the ring; queue and return the update (None if idle)."""
        source_done = self.source.finished.is_set()  # read before the ring: no sample can slip past
        start, samples = self.source.ring.read()
        new_events = tuple(self.feed.poll(self.head_n)) if self.feed is not None else ()
        ending = source_done and not self.ended and not len(samples)
        if not len(samples) and not new_events and not ending:
            return None
        t0 = time.perf_counter()
        if start > self._consumed:  # samples lost to an overrun keep their place as silence
            self.gap_samples += start - self._consumed
            samples = np.concatenate((np.zeros(start - self._consumed, np.float32), samples))
        block = AudioBlock(self._consumed, samples)
        out = self.pipeline.feed(block) if len(samples) else None
        columns, n0, size = self._display_columns(block)
        self._consumed = block.end
        self.head_n = self.origin_n + self._consumed
        anchors = tuple(out.anchors) if out else ()
        loudness = tuple(out.loudness) if out else ()
        if ending:
            tail = self.pipeline.flush()  # the last steps' loudness, the open whistle and surge
            anchors += tuple(tail.anchors)
            loudness += tuple(tail.loudness)
            self.ended = True
        if self.origin_n:
            anchors = tuple(self._on_media_clock(a) for a in anchors)
            loudness = tuple(replace(r, n=r.n + self.origin_n) for r in loudness)
        if anchors:
            self.engine.add_anchors(list(anchors))
        for event in new_events:
            self.engine.add_event(event)
        proposals = self._advance_engine(ending)
        peak = float(np.max(np.abs(samples))) if len(samples) else 0.0
        update = LiveUpdate(
            head_n=self.head_n, columns=columns, column_n0=self.origin_n + n0, fft_size=size,
            loudness=loudness, anchors=anchors, events=new_events,
            proposals=proposals, clock=self.engine.clock_map(),
            peak_dbfs=20 * np.log10(peak) if peak > 0 else -120.0,
            backlog_samples=self.source.ring.backlog(), ring=self.source.ring.stats(),
            gap_samples=self.gap_samples, busy_s=time.perf_counter() - t0, ended=ending)
        self.updates.put(update)
        return update

    def _advance_engine(self, ending: bool) -> tuple:
        """Re-solve (always at the end) only after a pause SOLVE_PAUSE times the last solve's duration, so
        a burst of logged events is solved together and solving never takes over the worker."""
        now = time.perf_counter()
        if now < self._next_solve and not ending:
            return ()
        proposals = tuple(self.engine.advance(self.head_n))
        end = time.perf_counter()
        self._next_solve = end + SOLVE_PAUSE * (end - now)
        return proposals

    def _on_media_clock(self, a: Anchor) -> Anchor:
        o = self.origin_n
        return replace(a, start=a.start + o, end=a.end + o, peak=None if a.peak is None else a.peak + o)

    def _display_columns(self, block: AudioBlock) -> tuple[np.ndarray, int, int]:
        size = self._fft_request
        if self._display is None or self._display.size != size:
            self._display = StreamingSTFT(size, DISPLAY_HOP)
            self._display_origin = block.start
        stft = self._display
        frames = stft.feed(AudioBlock(block.start - self._display_origin, block.samples))
        norm = 16.0 / (size * size)
        db = 10.0 * np.log10(frames.power * norm + 1e-12, dtype=np.float32)
        n0 = self._display_origin + frames.first * DISPLAY_HOP + size // 2
        return db, n0, size
