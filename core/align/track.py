"""The clock map of one feed: lock, a robust line fit of offset against feed time, misses and jumps."""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

ACQUIRE_RATIO = 9.0
"""A full-range search must stand this far out of its noise (unrelated audio gives about 5)."""
TRACK_RATIO = 6.5
"""A narrow tracking search (a few thousand lags) must stand this far out."""
MAX_RUNNER_UP = 0.5
"""A full-range search is distinct when no other lag comes within this share of the peak's height
(repetitive sound, a looped crowd or a chant, gives several peaks alike: the feed is not locked on those)."""
AGREE_S = 0.010
"""Two acquisitions (or jump candidates) this close describe the same clock."""
JUMP_S = 0.004
"""An offset change larger than this is a jump, not noise."""
MISSES_TO_LOSE = 3
"""Consecutive failed tracking windows before the feed is searched over the full range again."""
DEVIANTS_TO_JUMP = 3
"""Consecutive windows that agree with each other but not with the fit make a new segment."""
FIT_SPAN_S = 900.0
"""The line is fitted over this much of the latest feed time (live drift may wander slowly)."""
RECENT = 20
"""Windows that count towards the recent success share in the confidence."""


@dataclass(slots=True)
class Segment:
    """A stretch of feed time with one continuous clock: measured points (t_f, offset at t_f)."""

    t_start: float
    points: list[tuple[float, float]] = field(default_factory=list)
    a: float = 0.0
    b: float = 0.0
    rms: float = 0.0

    def predict(self, t: float) -> float:
        """Offset (t_m - t_f) at feed time t."""
        return self.a + self.b * t

    def refit(self) -> None:
        """Least squares line over the recent points, dropping outliers beyond 4 robust sigmas (twice)."""
        t_last = self.points[-1][0]
        pts = np.array([p for p in self.points if p[0] >= t_last - FIT_SPAN_S])
        t, y = pts[:, 0], pts[:, 1]
        keep = np.ones(len(t), bool)
        for _ in range(2):
            if keep.sum() >= 3 and np.ptp(t[keep]) >= 4.0:
                self.b, self.a = np.polyfit(t[keep], y[keep], 1)
            else:
                self.a = float(np.median(y[keep] - self.b * t[keep]))
            resid = y - (self.a + self.b * t)
            mad = float(np.median(np.abs(resid[keep]))) * 1.4826
            keep = np.abs(resid) <= max(4.0 * mad, 0.0005)
        self.rms = float(np.sqrt(np.mean(resid[keep] ** 2))) if keep.any() else 0.0


class FeedTrack:
    """Turns per-window measurements into the feed's current offset, drift, confidence and warnings."""

    def __init__(self) -> None:
        self.segment: Segment | None = None
        self.segments: list[Segment] = []
        self.locked = False
        self._candidates: list[tuple[float, float]] = []
        self._deviants: list[tuple[float, float]] = []
        self._misses = 0
        self._recent: deque[bool] = deque(maxlen=RECENT)
        self.ratios: deque[float] = deque(maxlen=RECENT)
        self._checks: deque[bool] = deque(maxlen=8)
        self._disagreements = 0

    def model(self) -> tuple[float, float] | None:
        """(offset at t_f=0, drift as a fraction) of the current segment, or None before the first lock."""
        return None if self.segment is None else (self.segment.a, self.segment.b)

    def observe(self, t: float, y: float, ratio: float, runner_up: float) -> list[str]:
        """One window's measurement: offset y = t_m - t_f at feed time t with its peak's ratio and runner-up."""
        if not self.locked:
            return self._acquire(t, y, ratio, runner_up)
        return self._track(t, y, ratio)

    def verify(self, t: float, y: float, ratio: float, runner_up: float) -> list[str]:
        """A full-range search made while locked: it must be distinct and agree, or the lock is doubted."""
        seg = self.segment
        distinct = ratio >= ACQUIRE_RATIO and runner_up <= MAX_RUNNER_UP
        agrees = seg is not None and abs(y - seg.predict(t)) <= AGREE_S
        self._checks.append(distinct and agrees)
        if distinct and not agrees:
            self._disagreements += 1
            if self._disagreements >= 2:
                self.locked = False
                self._disagreements = 0
                return [f"full-range search disagrees with the lock near feed time {t:.1f} s: searching again"]
        else:
            self._disagreements = 0
        return []

    def confidence(self) -> float:
        """0..1: how far the current offset and drift can be trusted."""
        if not self.locked or self.segment is None:
            return 0.0
        seg = self.segment
        n = len(seg.points)
        support = 1.0 - np.exp(-n / 6.0)
        recent = sum(self._recent) / len(self._recent) if self._recent else 0.0
        spread = 1.0 / (1.0 + (seg.rms / 0.002) ** 2)
        peak = float(np.clip((np.median(self.ratios) - TRACK_RATIO) / 6.0, 0.0, 1.0)) if self.ratios else 0.0
        checked = sum(self._checks) / len(self._checks) if self._checks else 1.0
        return float(support * recent * spread * checked * (0.5 + 0.5 * peak))

    def _acquire(self, t: float, y: float, ratio: float, runner_up: float) -> list[str]:
        self._recent.append(False)
        if ratio < ACQUIRE_RATIO or runner_up > MAX_RUNNER_UP:
            self._candidates.clear()
            return []
        self._candidates.append((t, y))
        if len(self._candidates) < 2 or abs(self._candidates[-1][1] - self._candidates[-2][1]) > AGREE_S:
            self._candidates = self._candidates[-1:]
            return []
        first, second = self._candidates[-2:]
        self._candidates.clear()
        warnings = []
        previous = self.segment
        if previous is not None and abs(previous.predict(t) - y) > JUMP_S:
            warnings.append(f"offset jumped by {y - previous.predict(t):+.3f} s near feed time {first[0]:.1f} s")
        self._start_segment(first[0], [first, second], previous.b if previous is not None else 0.0)
        self.locked = True
        self._misses = 0
        self._checks.clear()
        self._checks.extend((True, True))
        return warnings

    def _track(self, t: float, y: float, ratio: float) -> list[str]:
        seg = self.segment
        assert seg is not None
        if ratio < TRACK_RATIO:
            self._recent.append(False)
            self._misses += 1
            if self._misses >= MISSES_TO_LOSE:
                self.locked = False
                self._deviants.clear()
                return [f"lost lock near feed time {t:.1f} s: searching the full range again"]
            return []
        self._misses = 0
        self.ratios.append(ratio)
        residual = y - seg.predict(t)
        if abs(residual) <= max(JUMP_S, 5.0 * seg.rms):
            self._recent.append(True)
            self._deviants.clear()
            seg.points.append((t, y))
            seg.refit()
            return []
        self._recent.append(False)
        self._deviants.append((t, y))
        spread = np.ptp([d[1] for d in self._deviants[-DEVIANTS_TO_JUMP:]])
        if len(self._deviants) < DEVIANTS_TO_JUMP or spread > AGREE_S:
            return []
        jumped = self._deviants[-DEVIANTS_TO_JUMP:]
        self._deviants.clear()
        self._start_segment(jumped[0][0], jumped, seg.b)
        return [f"offset jumped by {residual:+.3f} s near feed time {jumped[0][0]:.1f} s"]

    def _start_segment(self, t_start: float, points: list[tuple[float, float]], b: float) -> None:
        seg = Segment(t_start, list(points), b=b)
        seg.refit()
        self.segment = seg
        self.segments.append(seg)
