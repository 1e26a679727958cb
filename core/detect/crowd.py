"""Crowd surges: quick, sustained rises of momentary loudness over an adaptive baseline.

The baseline is a slow median tracker of momentary loudness: it moves at most ``BASELINE_SLEW_LU``
per reading, so it follows a crowd that grows louder over a match (a few LU over many minutes) but
barely moves during a roar. A surge opens when loudness is ``OPEN_LU`` over the baseline, its onset is
refined back to where the rise began (the foot of its climb, as the bed near a roar often sits under the
baseline), and it is reported as soon as its peak is established, so the live console hears of a goal's
roar seconds after it starts. Confidence separates roars (long, big, smooth) from the short or wiggly
surges of oohs, horns, whistle blasts, speech and drums.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from core.dsp.loudness import ABSOLUTE_GATE_LUFS, MOMENTARY_STEPS, STEPS_PER_SECOND
from core.model import Anchor, LoudnessReading

BASELINE_SLEW_LU = 0.01
"""Largest baseline move per 100 ms reading (1 LU in 10 s): robust to roars, quick enough for a match."""
WARMUP_READINGS = 30
"""The first 3 s of audible readings set the baseline by their running mean; no surge opens before."""
OPEN_LU = 3.0
"""Gain over the baseline that opens a candidate."""
HOLD_LU = 2.0
"""A surge lasts while its gain stays at least this high."""
RISE_START_SPREADS = 0.5
"""Walking back from the crossing, the rise begins after the last reading at most this many typical
deviations of the bed (its spread) over the baseline..."""
RISE_START_RANGE_LU = (0.2, 1.5)
"""...but never closer to the baseline than the first nor further than the second. From there the sound
stands clear of the bed: its duration and confidence count from there."""
FOOT_LU = 0.3
"""The anchor's start walks on down the climb to its foot (the quietest reading before it) and begins after
the last reading at most this much louder than the foot: the bed around a roar often sits under the
baseline, so a roar swelling in over a second clears it late, while its foot marks where it came in."""
SPREAD_READINGS = 100
"""The bed's spread is a running mean of |gain| over about this many readings, paused during surges."""
MIN_RISE_LU = 2.0
"""The crossing is at least this much louder than where the rise began..."""
MAX_RISE_S = 4.0
"""...within this long: slower climbs are the crowd's level changing, which the baseline follows."""
MIN_GAIN_LU = 4.0
"""A surge's peak is at least this far over the baseline..."""
MIN_GAIN_SPREADS = 2.5
"""...and at least this many spreads of the bed: a restless crowd's own swells are not surges."""
MIN_DURATION_S = 0.5
"""The loud sound lasts at least this long: a near-miss "ooh" (about a second) does, a drum hit or a
syllable does not. Loudness cannot tell an "ooh" from a short whistle blast or a spoken phrase; their
anchors carry little confidence, which grows with gain, duration and steadiness (a goal's roar: 0.6+)."""
PEAK_FALL_LU = 3.0
"""Once loudness falls this far under its peak, the peak is established and the surge is reported."""
MAX_WAIT_S = 8.0
"""A surge still climbing or holding this long after its onset is reported anyway."""
STEADY_LU = 0.5
"""Wiggle (mean |second difference| of momentary loudness per reading) of a swelling roar or "ooh"
(0.3-0.5 LU in simulated matches); speech and drumming go up and down with words and beats (1.2-2.4 LU).
Confidence falls as a surge wiggles more than this."""
SPLIT_S = 2.5
"""A quick new rise starting at least this long after the onset of a surge that does not sound like a
roar (confidence under ``ROAR_CONFIDENCE``), to 3 LU over everything heard in it before, is a surge of
its own: a goal's roar over a drum band or a chant. A roar's own second swell is not."""
ROAR_CONFIDENCE = 0.5
END_GAP_S = 2.0
"""A surge ends once its gain has stayed under the hold level this long (a roar takes breaths)."""


@dataclass(slots=True)
class _Candidate:
    """A surge being watched; positions are reading ends ``n`` (samples), levels are LUFS. ``onset`` is where
    the sound stood clear of the bed, ``start`` (no later) where it came in."""

    onset: int
    start: int
    baseline: float
    peak_n: int
    peak_lufs: float
    held_until: int
    min_gain: float
    last_lufs: float
    levels: list[float] = field(default_factory=list)
    last_step: float = 0.0
    wiggle_sum: float = 0.0
    wiggle_count: int = 0
    below_since: int | None = None
    reported: bool = False

    @property
    def wiggle(self) -> float:
        """Mean |second difference| of momentary loudness since the crossing (LU per reading)."""
        return self.wiggle_sum / self.wiggle_count if self.wiggle_count else 0.0


class CrowdSurgeDetector:
    """Turns 100 ms loudness readings into ``crowd_surge`` anchors, causally and deterministically.

    An anchor's ``start`` is where the rise began (after the foot of its climb), ``peak`` the centre of the
    loudest momentary window so far, ``end`` where loudness fell back under the hold level, or the moment of
    reporting for a surge still going on then (a roar is reported while it lasts); ``gain_lu`` is peak over
    baseline.
    Readings quieter than -70 LUFS (silence, dropouts) neither move the baseline nor count as loud.
    """

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.step = rate // STEPS_PER_SECOND
        self._baseline = 0.0
        self._warm = 0
        self._spread = 0.0
        self._recent: deque[tuple[int, float, float]] = deque(maxlen=int(MAX_RISE_S * STEPS_PER_SECOND) + 1)
        self._candidate: _Candidate | None = None
        self._last_n = 0

    @property
    def baseline_lufs(self) -> float | None:
        """The current baseline (None until audible audio has been heard)."""
        return self._baseline if self._warm else None

    def process(self, readings: list[LoudnessReading]) -> list[Anchor]:
        """Consume readings in order; return the surges whose peak is now established."""
        anchors: list[Anchor] = []
        for reading in readings:
            anchor = self._one(reading)
            if anchor is not None:
                anchors.append(anchor)
        return anchors

    def flush(self) -> list[Anchor]:
        """End of stream: report a qualifying surge still open."""
        anchor = self._close(self._last_n)
        return [] if anchor is None else [anchor]

    def _one(self, reading: LoudnessReading) -> Anchor | None:
        n, level = reading.n, reading.momentary_lufs
        self._last_n = n
        if level < ABSOLUTE_GATE_LUFS:
            self._recent.clear()
            return self._close(n)
        self._track_baseline(level)
        gain = level - self._baseline
        self._recent.append((n, level, gain))
        cand = self._candidate
        if cand is None:
            if gain >= OPEN_LU and self._warm > WARMUP_READINGS:
                self._candidate = self._open()
            else:
                self._spread += (abs(gain) - self._spread) / min(self._warm, SPREAD_READINGS)
            return None
        step = level - cand.last_lufs
        cand.wiggle_sum += abs(step - cand.last_step)
        cand.wiggle_count += 1
        cand.last_lufs, cand.last_step = level, step
        cand.levels.append(level)
        if gain < HOLD_LU:
            if not self._qualifies(cand):
                self._candidate = None
                return None
            if cand.below_since is None:
                cand.below_since = n
            return self._close(n) if n - cand.below_since >= END_GAP_S * self.rate else None
        cand.held_until, cand.below_since = n, None
        if level > cand.peak_lufs:
            new = self._open()
            if (new is not None and new.onset >= cand.onset + SPLIT_S * self.rate
                    and self._confidence(cand) < ROAR_CONFIDENCE):
                rise = len(cand.levels) - (n - new.onset) // self.step
                if rise > 0 and level >= max(cand.levels[:rise]) + OPEN_LU:
                    self._candidate = new
                    return None if cand.reported or not self._qualifies(cand) else self._anchor(cand, new.onset)
            cand.peak_n, cand.peak_lufs = n, level
        if cand.reported or not self._qualifies(cand):
            return None
        if level <= cand.peak_lufs - PEAK_FALL_LU or n - cand.onset >= MAX_WAIT_S * self.rate:
            cand.reported = True
            return self._anchor(cand, n)
        return None

    def _track_baseline(self, level: float) -> None:
        """Running mean during warm-up, then a slew-limited median tracker."""
        self._warm += 1
        if self._warm <= WARMUP_READINGS:
            self._baseline += (level - self._baseline) / self._warm
        elif level > self._baseline:
            self._baseline += BASELINE_SLEW_LU
        elif level < self._baseline:
            self._baseline -= BASELINE_SLEW_LU

    def _open(self) -> _Candidate | None:
        """A candidate whose onset is walked back from the crossing to where the rise began, if it was quick."""
        history = list(self._recent)
        low, high = RISE_START_RANGE_LU
        start_gain = min(max(RISE_START_SPREADS * self._spread, low), high)
        i = len(history) - 1
        while i > 0 and history[i - 1][2] > start_gain and history[i - 1][1] < history[i][1]:
            i -= 1
        n, level, _ = history[-1]
        floor = history[i - 1][1] if i > 0 else history[0][1]
        if level - floor < MIN_RISE_LU:
            return None
        return _Candidate(onset=history[i][0] - self.step, start=self._foot(history, i), baseline=self._baseline,
                          peak_n=n, peak_lufs=level, held_until=n,
                          min_gain=max(MIN_GAIN_LU, MIN_GAIN_SPREADS * self._spread), last_lufs=level, levels=[level],
                          last_step=level - history[-2][1] if len(history) > 1 else 0.0)

    def _foot(self, history: list[tuple[int, float, float]], i: int) -> int:
        """Where the climb through ``history[i]`` came in: after the last reading near its foot."""
        j = i
        while j > 0 and history[j - 1][1] < history[j][1]:
            j -= 1
        foot = history[j][1]
        while j < i and history[j + 1][1] <= foot + FOOT_LU:
            j += 1
        return history[j][0] if j < i else history[i][0] - self.step

    def _close(self, n: int) -> Anchor | None:
        """The surge (if any) is over by sample ``n``: report it unless already done or too small."""
        cand, self._candidate = self._candidate, None
        if cand is None or cand.reported or not self._qualifies(cand):
            return None
        return self._anchor(cand, n if cand.below_since is None else cand.below_since)

    def _duration(self, cand: _Candidate) -> int:
        """How long the loud sound itself has lasted: the momentary window keeps it in view 300 ms longer."""
        return cand.held_until - cand.onset - (MOMENTARY_STEPS - 1) * self.step

    def _qualifies(self, cand: _Candidate) -> bool:
        return (self._duration(cand) >= MIN_DURATION_S * self.rate
                and cand.peak_lufs - cand.baseline >= cand.min_gain)

    def _confidence(self, cand: _Candidate) -> float:
        """Grows with gain and duration, falls with wiggle: a goal's roar scores 0.6-0.9."""
        gain = cand.peak_lufs - cand.baseline
        duration_s = max(self._duration(cand), 0) / self.rate
        steadiness = min(1.0, STEADY_LU / max(cand.wiggle, 1e-9))
        return (1.0 - math.exp(-(gain - OPEN_LU) / 4.0)) * (1.0 - math.exp(-duration_s / 2.0)) * steadiness

    def _anchor(self, cand: _Candidate, end: int) -> Anchor:
        # The loudest momentary window ends at peak_n; report its centre.
        return Anchor(kind="crowd_surge", start=cand.start, end=end, confidence=round(self._confidence(cand), 4),
                      peak=max(cand.onset, cand.peak_n - 2 * self.step),
                      gain_lu=round(cand.peak_lufs - cand.baseline, 2))
