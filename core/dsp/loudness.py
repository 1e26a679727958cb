"""Streaming K-weighted loudness (ITU-R BS.1770-4): momentary, short-term and gated integrated LUFS.

The meter gives the same readings whatever block sizes it is fed: the K-weighting filter runs with
carried state (exact), and each 100 ms step's sum of squares is computed only once the step is
complete, from one buffer, so no sum ever depends on where the blocks were cut.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.signal
from numpy.lib.stride_tricks import as_strided

from core.model import AudioBlock, LoudnessReading

STEPS_PER_SECOND = 10
"""Readings come every 100 ms of audio."""
MOMENTARY_STEPS = 4
"""Momentary loudness: a 400 ms window (4 steps)."""
SHORT_TERM_STEPS = 30
"""Short-term loudness: a 3 s window (30 steps)."""
FLOOR_LUFS = -120.0
"""Reported for silence (and anything quieter): readings are never -inf or NaN."""
ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
_OFFSET = -0.691


def k_weighting_sos(rate: int) -> np.ndarray:
    """BS.1770 K-weighting designed for ``rate``: +4 dB high shelf at 1.5 kHz, then the RLB high-pass at 38 Hz.

    Both biquads follow the RBJ cookbook with pyloudnorm's parameters, so meters at any rate agree with
    ``pyloudnorm.Meter(rate)``. The design reads a 0 dBFS 997 Hz sine 0.04 LU low at 48 kHz and 0.07 LU
    low at 16 kHz (the standard's own coefficients give exactly -3.01 LUFS at 48 kHz).
    """
    gain = 10.0 ** (4.0 / 40.0)
    w0 = 2.0 * np.pi * 1500.0 / rate
    alpha = np.sin(w0) / (2.0 * (1.0 / np.sqrt(2.0)))
    cos, root = np.cos(w0), 2.0 * np.sqrt(gain) * alpha
    shelf_b = gain * np.array([(gain + 1) + (gain - 1) * cos + root,
                               -2.0 * ((gain - 1) + (gain + 1) * cos),
                               (gain + 1) + (gain - 1) * cos - root])
    shelf_a = np.array([(gain + 1) - (gain - 1) * cos + root,
                        2.0 * ((gain - 1) - (gain + 1) * cos),
                        (gain + 1) - (gain - 1) * cos - root])
    w0 = 2.0 * np.pi * 38.0 / rate
    alpha = np.sin(w0) / (2.0 * 0.5)
    cos = np.cos(w0)
    high_b = np.array([(1 + cos) / 2, -(1 + cos), (1 + cos) / 2])
    high_a = np.array([1 + alpha, -2.0 * cos, 1 - alpha])
    return np.array([np.r_[shelf_b / shelf_a[0], shelf_a / shelf_a[0]],
                     np.r_[high_b / high_a[0], high_a / high_a[0]]])


def lufs(mean_square: np.ndarray) -> np.ndarray:
    """Loudness of K-weighted mean squares (mono, channel weight 1.0), floored at ``FLOOR_LUFS``."""
    floor = 10.0 ** ((FLOOR_LUFS - _OFFSET) / 10.0)
    return _OFFSET + 10.0 * np.log10(np.maximum(mean_square, floor))


class LoudnessMeter:
    """Momentary (400 ms) and short-term (3 s) K-weighted loudness every 100 ms of mono audio at ``rate``.

    Reading ``n`` covers the windows ending at sample ``n`` (exclusive). Before a window is full (the
    first 0.4 s or 3 s) it reports the loudness of the audio that exists so far.
    """

    def __init__(self, rate: int) -> None:
        if rate <= 0 or rate % STEPS_PER_SECOND:
            raise ValueError(f"loudness meter needs a rate divisible by {STEPS_PER_SECOND}, got {rate}")
        self.rate = rate
        self.step = rate // STEPS_PER_SECOND
        self._sos = k_weighting_sos(rate)
        self._state = np.zeros((self._sos.shape[0], 2))
        self._partial = np.zeros((1, self.step))  # squares of the unfinished step
        self._filled = 0
        self._sums = np.zeros(SHORT_TERM_STEPS - 1)
        self._steps = 0
        self._expected = 0

    def feed(self, block: AudioBlock) -> list[LoudnessReading]:
        """Add samples (continuing where the last block ended); return one reading per completed 100 ms."""
        if block.start != self._expected:
            raise ValueError(f"block starts at {block.start}, expected {self._expected}")
        self._expected = block.end
        if len(block.samples) == 0:
            return []
        squares = self._weighted_squares(block.samples)
        step_sums = []
        if self._filled:  # finish the step left open by the last block first
            take = min(self.step - self._filled, len(squares))
            self._partial[0, self._filled : self._filled + take] = squares[:take]
            self._filled += take
            squares = squares[take:]
            if self._filled < self.step:
                return []
            step_sums.append(self._partial.sum(axis=1))
        count = len(squares) // self.step
        step_sums.append(squares[: count * self.step].reshape(count, self.step).sum(axis=1))
        rest = squares[count * self.step :]
        self._partial[0, : len(rest)] = rest
        self._filled = len(rest)
        return self._readings(np.concatenate(step_sums))

    def _weighted_squares(self, samples: np.ndarray) -> np.ndarray:
        """Squares of the K-weighted samples (float64), carrying the filter state on."""
        weighted, state = scipy.signal.sosfilt(self._sos, samples, zi=self._state)
        if not np.isfinite(state).all():  # a NaN or inf sample would poison the filter state for good
            clean = np.nan_to_num(samples, nan=0.0, posinf=0.0, neginf=0.0)
            weighted, state = scipy.signal.sosfilt(self._sos, clean, zi=self._state)
        self._state = state
        return np.multiply(weighted, weighted, out=weighted)

    def _readings(self, step_sums: np.ndarray) -> list[LoudnessReading]:
        """One reading per newly completed step, from the sums of squares of those steps."""
        count = len(step_sums)
        if count == 0:
            return []
        sums = np.concatenate((self._sums, step_sums))
        self._sums = sums[count:]
        done = self._steps + 1 + np.arange(count)
        self._steps += count
        momentary = self._window_lufs(sums, MOMENTARY_STEPS, done, count)
        short_term = self._window_lufs(sums, SHORT_TERM_STEPS, done, count)
        ends = done * self.step
        return [LoudnessReading(int(n), float(m), float(s))
                for n, m, s in zip(ends.tolist(), momentary.tolist(), short_term.tolist())]

    def _window_lufs(self, sums: np.ndarray, steps: int, done: np.ndarray, count: int) -> np.ndarray:
        """Loudness of the last ``steps`` step sums (fewer at the very start) for each new step."""
        tail = sums[len(sums) - count - steps + 1:]
        totals = as_strided(tail, shape=(count, steps), strides=(tail.strides[0],) * 2, writeable=False).sum(axis=1)
        return lufs(totals / (np.minimum(done, steps) * self.step))


def integrated_loudness(readings: Sequence[LoudnessReading], rate: int) -> float:
    """BS.1770 gated integrated loudness from a meter's readings at ``rate``.

    The gating blocks are the full 400 ms momentary windows (75 % overlap); blocks below -70 LUFS, then
    those more than 10 LU below the loudness of the rest, are dropped. Returns ``FLOOR_LUFS`` when no
    block passes the gates.
    """
    full = 4 * rate // STEPS_PER_SECOND
    blocks = np.array([r.momentary_lufs for r in readings if r.n >= full], dtype=np.float64)
    power = 10.0 ** ((blocks - _OFFSET) / 10.0)
    loud = blocks >= ABSOLUTE_GATE_LUFS
    if not loud.any():
        return FLOOR_LUFS
    relative = float(lufs(power[loud].mean())) + RELATIVE_GATE_LU
    gated = loud & (blocks > relative)
    return float(lufs(power[gated].mean()))
