"""Streaming alignment: blocks of master and feed audio in, per-window readings of each feed's clock out.

    aligner = MultiAligner(rate=16000)
    aligner.push_master(block)                  # any block sizes, in arrival order
    aligner.push_feed("cam2", block)
    for reading in aligner.poll():              # offset_s, drift_ppm, confidence, warning per feed window
        ...
    aligner.finish()                            # end of the master: the last windows are measured

Each feed is measured in windows of ``window_s`` every ``hop_s``. Until it is locked a window is searched
over +/- ``search_s`` around the master; once locked the master is read along the fitted clock line
(warped by the current drift) and only +/- ``track_s`` is searched, so the peak stays sharp at 200 ppm.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.align.gcc import gcc_phat
from core.align.track import FeedTrack, Segment

SILENT_RMS = 1e-4
"""A 100 ms frame quieter than this (-80 dBFS) carries nothing to align: a dropout or digital silence."""
SILENT_SHARE = 0.2
"""A window with more silent frames than this is skipped."""
VERIFY_EVERY = 15
"""While locked, every this many windows is also searched over the full range (a wrong lock shows there)."""


@dataclass(frozen=True, slots=True)
class AlignmentReading:
    """One feed's clock after a window ending at feed time ``t_f``: t_m = offset_s + t_f' * (1 + drift_ppm/1e6)."""

    feed: str
    t_f: float
    offset_s: float | None
    drift_ppm: float | None
    confidence: float
    locked: bool
    warning: str | None = None

    def to_json(self) -> dict:
        """The contract's alignment object plus the feed time and any warning."""
        out = {"feed": self.feed, "offset_s": _round(self.offset_s, 6), "drift_ppm": _round(self.drift_ppm, 3),
               "confidence": round(self.confidence, 3), "t_f": round(self.t_f, 3)}
        if self.warning:
            out["warning"] = self.warning
        return out


def _round(x: float | None, digits: int) -> float | None:
    return None if x is None else round(x, digits)


class MasterBuffer:
    """The master's samples from ``base`` on (older ones are trimmed away once no feed can need them)."""

    def __init__(self) -> None:
        self.base = 0
        self.data = np.zeros(0, np.float32)
        self.finished = False

    @property
    def end(self) -> int:
        return self.base + len(self.data)

    def push(self, samples: np.ndarray) -> None:
        self.data = np.concatenate([self.data, np.asarray(samples, np.float32)])

    def read(self, q0: float, step: float, count: int) -> np.ndarray:
        """Samples at positions q0 + j*step (linear interpolation; zeros outside what is held)."""
        q = q0 + step * np.arange(count, dtype=np.float64) - self.base
        lo = min(max(int(np.floor(q[0])), 0), len(self.data))
        hi = min(max(int(np.ceil(q[-1])) + 1, lo), len(self.data))
        if hi - lo < 2:
            return np.zeros(count)
        return np.interp(q, np.arange(lo, hi, dtype=np.float64), self.data[lo:hi], left=0.0, right=0.0)

    def trim(self, keep_from: int) -> None:
        drop = min(max(0, keep_from - self.base), len(self.data))
        if drop > len(self.data) // 2:
            self.data = self.data[drop:].copy()
            self.base += drop


class FeedAligner:
    """One feed against a shared master buffer: push blocks, then ``poll`` the readings of finished windows."""

    def __init__(self, name: str, master: MasterBuffer, rate: int, *, window_s: float = 8.0, hop_s: float = 2.0,
                 search_s: float = 30.0, track_s: float = 0.1) -> None:
        self.name = name
        self.rate = rate
        self.master = master
        self.window = int(window_s * rate)
        self.hop = int(hop_s * rate)
        self.search = int(search_s * rate)
        self.track_margin = int(track_s * rate)
        self.track = FeedTrack()
        self.warnings: list[str] = []
        self.silent_spans: list[list[float]] = []
        self.samples = 0
        self.windows = 0
        self.skipped = 0
        self._base = 0
        self._data = np.zeros(0, np.float32)
        self._next = 0
        self._scanned = 0

    def push(self, samples: np.ndarray) -> None:
        """Append feed samples (float, mono, at ``rate``)."""
        self._data = np.concatenate([self._data, np.asarray(samples, np.float32)])
        self.samples += len(samples)

    def needs_master_from(self) -> int:
        """The oldest master sample a future window may read."""
        return self._next - self.search - self.rate

    def poll(self) -> list[AlignmentReading]:
        """Measure every window whose feed and master samples are all here."""
        readings = []
        while self._next + self.window <= self.samples:
            q0, step, margin = self._master_span(self._next)
            if q0 + step * (self.window + 2 * margin) > self.master.end and not self.master.finished:
                break
            readings.append(self._measure(self._next, q0, step, margin))
            self._next += self.hop
            drop = self._next - self._base
            if drop > len(self._data) // 2:
                self._data = self._data[drop:].copy()
                self._base = self._next
        return readings

    def current(self) -> AlignmentReading:
        """The feed's clock now, with every warning so far joined."""
        model = self.track.model()
        t_f = self.samples / self.rate
        warning = "; ".join(self.warnings) or None
        if model is None:
            return AlignmentReading(self.name, t_f, None, None, 0.0, False, warning)
        return AlignmentReading(self.name, t_f, model[0], model[1] * 1e6, self.track.confidence(),
                                self.track.locked, warning)

    @property
    def segments(self) -> list[Segment]:
        """Stretches of continuous clock found so far (more than one after a jump)."""
        return self.track.segments

    def _master_span(self, f0: int) -> tuple[float, float, int]:
        """First master position, step and margin of the master segment that window ``f0`` is searched in."""
        model = self.track.model()
        if not self.track.locked or model is None:
            return float(f0 - self.search), 1.0, self.search
        a, b = model
        step = 1.0 + b
        return (a + f0 / self.rate * step) * self.rate - self.track_margin * step, step, self.track_margin

    def _measure(self, f0: int, q0: float, step: float, margin: int) -> AlignmentReading:
        self.windows += 1
        window = self._data[f0 - self._base:f0 - self._base + self.window]
        self._scan_silence(f0 + self.window)
        t_c = (f0 + self.window / 2) / self.rate
        segment = self.master.read(q0, step, self.window + 2 * margin)
        if _silent_share(window, self.rate) > SILENT_SHARE or _silent_share(
                segment[margin:margin + self.window], self.rate) > SILENT_SHARE:
            self.skipped += 1
            return self._reading(f0, None)
        peak = gcc_phat(window, segment, self.rate)
        residual = (peak.lag - margin) * step / self.rate
        t_m = q0 / self.rate + margin * step / self.rate + (t_c - f0 / self.rate) * step + residual
        locked = self.track.locked
        warnings = self.track.observe(t_c, t_m - t_c, peak.ratio, peak.runner_up)
        if locked and self.track.locked and self.windows % VERIFY_EVERY == 0:
            warnings += self._verify(f0, window, t_c)
        return self._reading(f0, "; ".join(warnings) or None)

    def _verify(self, f0: int, window: np.ndarray, t_c: float) -> list[str]:
        """Search this window over the full range too, if the master has arrived that far."""
        q0 = float(f0 - self.search)
        if q0 + self.window + 2 * self.search > self.master.end and not self.master.finished:
            return []
        peak = gcc_phat(window, self.master.read(q0, 1.0, self.window + 2 * self.search), self.rate)
        t_m = (q0 + peak.lag) / self.rate + (t_c - f0 / self.rate)
        return self.track.verify(t_c, t_m - t_c, peak.ratio, peak.runner_up)

    def _reading(self, f0: int, warning: str | None) -> AlignmentReading:
        if warning:
            self.warnings.append(warning)
        r = self.current()
        return AlignmentReading(self.name, (f0 + self.window) / self.rate, r.offset_s, r.drift_ppm, r.confidence,
                                r.locked, warning)

    def _scan_silence(self, upto: int) -> None:
        """Record stretches of silent 100 ms frames (dropouts) in the samples not scanned yet."""
        frame = self.rate // 10
        while self._scanned + frame <= upto:
            chunk = self._data[self._scanned - self._base:self._scanned - self._base + frame]
            if float(np.sqrt(np.mean(chunk.astype(np.float64) ** 2))) < SILENT_RMS:
                t = self._scanned / self.rate
                if self.silent_spans and abs(self.silent_spans[-1][1] - t) < 1e-9:
                    self.silent_spans[-1][1] = t + frame / self.rate
                else:
                    self.silent_spans.append([t, t + frame / self.rate])
            self._scanned += frame


def _silent_share(x: np.ndarray, rate: int) -> float:
    frame = rate // 10
    n = len(x) // frame
    if n == 0:
        return 1.0
    rms = np.sqrt(np.mean(x[:n * frame].astype(np.float64).reshape(n, frame) ** 2, axis=1))
    return float(np.mean(rms < SILENT_RMS))


class MultiAligner:
    """Any number of feeds aligned to one master, fed block by block (live) or from files (offline)."""

    def __init__(self, rate: int, **params: float) -> None:
        self.rate = rate
        self.master = MasterBuffer()
        self.feeds: dict[str, FeedAligner] = {}
        self._params = params

    def add_feed(self, name: str) -> FeedAligner:
        """Start aligning a new feed (its first sample is its time zero)."""
        if name in self.feeds:
            raise ValueError(f"feed {name!r} already added")
        self.feeds[name] = FeedAligner(name, self.master, self.rate, **self._params)
        return self.feeds[name]

    def push_master(self, samples: np.ndarray) -> None:
        """Append master samples."""
        self.master.push(samples)

    def push_feed(self, name: str, samples: np.ndarray) -> None:
        """Append samples of feed ``name`` (added on first use)."""
        (self.feeds.get(name) or self.add_feed(name)).push(samples)

    def finish(self) -> None:
        """End of the master: windows that were waiting for more master audio can be measured."""
        self.master.finished = True

    def poll(self) -> list[AlignmentReading]:
        """Readings of every window that became measurable since the last poll, then trim the master."""
        readings = [r for feed in self.feeds.values() for r in feed.poll()]
        if self.feeds:
            self.master.trim(min(f.needs_master_from() for f in self.feeds.values()))
        return readings

    def current(self) -> list[AlignmentReading]:
        """Each feed's clock now."""
        return [feed.current() for feed in self.feeds.values()]
