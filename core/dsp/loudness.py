"""Streaming K-weighted loudness (ITU-R BS.1770-4): momentary, short-term and gated integrated LUFS.

The meter reads the detector STFT's power frames rather than filtering the samples again: each frame's
K-weighted energy is its power spectrum weighted by the K-filter's power response at the bin frequencies,
scaled so that the frames' energies add up to the signal's (Parseval, with the Hann window's squares summing
to a constant at a hop of a third of the frame or less). That costs a dot product per frame instead of two
biquads per sample, the largest single cost of detection before. A frame's energy is spread evenly over the
``hop`` samples around its centre, so every 100 ms step's sum of squares is a sum of whole pieces, and no
sum depends on where the blocks were cut. On the field recordings, integrated loudness stays within 0.021 LU
of pyloudnorm and momentary readings within 0.17 LU of exact time-domain K-weighting (median 0.01 LU); a
frame straddling a window's edge blurs a sharp transient across it (tests/test_loudness.py).
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import scipy.signal
from numpy.lib.stride_tricks import as_strided

from core.dsp.stft import StreamingSTFT, hann, hann_energy_head
from core.model import AudioBlock, LoudnessReading, SpectrumFrames

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
    """Momentary (400 ms) and short-term (3 s) K-weighted loudness every 100 ms, from STFT power frames of
    mono audio at ``rate`` (``core.dsp.stft.StreamingSTFT`` with the same ``size`` and ``hop``).

    Reading ``n`` covers the windows ending at sample ``n`` (exclusive). Before a window is full (the
    first 0.4 s or 3 s) it reports the loudness of the audio that exists so far. A step is read once the
    frames around its end have arrived (``size // 2 + hop // 2`` samples after it); ``flush`` reads the
    last steps from the STFT's padded final frames.
    """

    def __init__(self, rate: int, size: int, hop: int) -> None:
        if rate <= 0 or rate % STEPS_PER_SECOND:
            raise ValueError(f"loudness meter needs a rate divisible by {STEPS_PER_SECOND}, got {rate}")
        if size % hop or size // hop < 3 or (size - hop) % 2:
            raise ValueError(f"loudness needs Hann frames overlapping by at least 2/3, not size={size} hop={hop}")
        self.rate = rate
        self.step = rate // STEPS_PER_SECOND
        self.hop = hop
        self._lead = (size - hop) // 2
        """Samples before frame 0's share: frame k stands for samples [k*hop + lead, (k+1)*hop + lead)."""
        self._unit = math.gcd(hop, self.step, self._lead)
        self._weights = _k_weights(rate, size, hop)
        self._window_share = hann_energy_head(size)
        """Share of a frame's window energy on its first ``n`` samples, for n = 0 ... size."""
        self._units = np.zeros(self._lead // self._unit)  # energy per unit of samples, not yet in a step
        self._sums = np.zeros(SHORT_TERM_STEPS - 1)
        self._steps = 0
        self._expected = 0

    def feed(self, frames: SpectrumFrames) -> list[LoudnessReading]:
        """Add power frames (continuing where the last ended); return one reading per completed 100 ms."""
        return self._add(self._energies(frames))

    def flush(self, stft: StreamingSTFT) -> list[LoudnessReading]:
        """At the end of the stream: the readings of its last steps, from the final frames of ``stft`` (the STFT
        that fed this meter), padded with zeros past the end (``StreamingSTFT.flush``). Each of those frames is
        scaled up by the share of its window's energy that lies on real samples, as if the sound went on as it
        was."""
        end = stft.end
        frames = stft.flush()
        real = np.clip(end - (frames.first + np.arange(len(frames))) * self.hop, 0, len(self._window_share) - 1)
        share = self._window_share[real]
        energy = self._energies(frames) / np.where(share > 0, share, 1.0)
        return [r for r in self._add(energy) if r.n <= end]

    def _energies(self, frames: SpectrumFrames) -> np.ndarray:
        """The K-weighted energy each frame stands for (float64; 0 for a frame spoilt by a NaN or inf sample)."""
        if frames.hop != self.hop or frames.power.shape[1] != len(self._weights):
            raise ValueError(f"frames of size {frames.size} hop {frames.hop} do not fit this meter")
        if len(frames) and frames.first != self._expected:
            raise ValueError(f"frames start at {frames.first}, expected {self._expected}")
        self._expected += len(frames)
        energy = np.einsum("ij,j->i", frames.power, self._weights).astype(np.float64)  # same sums whatever rows
        if not np.isfinite(energy.sum()):  # energies are never negative: the sum is finite when each is
            energy[~np.isfinite(energy)] = 0.0
        return energy

    def _add(self, energy: np.ndarray) -> list[LoudnessReading]:
        """Spread each frame's energy over its share of samples; read the steps that are complete."""
        per_frame = self.hop // self._unit
        units = np.concatenate((self._units, np.repeat(energy / per_frame, per_frame)))
        per_step = self.step // self._unit
        count = len(units) // per_step
        self._units = units[count * per_step:]
        return self._readings(units[: count * per_step].reshape(count, per_step).sum(axis=1))

    def _readings(self, step_sums: np.ndarray) -> list[LoudnessReading]:
        """One reading per newly completed step, from the sums of squares of those steps."""
        count = len(step_sums)
        if count == 0:
            return []
        sums = np.concatenate((self._sums, step_sums))
        self._sums = sums[count:]
        done = self._steps + 1 + np.arange(count)
        self._steps += count
        ends = done * self.step
        momentary = self._window_lufs(sums, MOMENTARY_STEPS, ends, count)
        short_term = self._window_lufs(sums, SHORT_TERM_STEPS, ends, count)
        return list(map(LoudnessReading, ends.tolist(), momentary.tolist(), short_term.tolist()))

    def _window_lufs(self, sums: np.ndarray, steps: int, ends: np.ndarray, count: int) -> np.ndarray:
        """Loudness of the last ``steps`` step sums (fewer at the very start) for each new step: their energy
        over the samples they stand for (the first ``lead`` samples of the stream lie in no frame's share)."""
        tail = sums[len(sums) - count - steps + 1:]
        totals = as_strided(tail, shape=(count, steps), strides=(tail.strides[0],) * 2, writeable=False).sum(axis=1)
        counted = ends - np.maximum(ends - steps * self.step, self._lead)
        return lufs(totals / counted)


class SampleLoudnessMeter:
    """A ``LoudnessMeter`` with an STFT of its own, for a caller that has samples but no detector frames."""

    def __init__(self, rate: int) -> None:
        self.stft = StreamingSTFT()
        self.meter = LoudnessMeter(rate, self.stft.size, self.stft.hop)

    def feed(self, block: AudioBlock) -> list[LoudnessReading]:
        """Add samples (continuing where the last block ended); return one reading per completed 100 ms."""
        return self.meter.feed(self.stft.feed(block))

    def flush(self) -> list[LoudnessReading]:
        """At the end of the stream: the readings of its last steps."""
        return self.meter.flush(self.stft)


def _k_weights(rate: int, size: int, hop: int) -> np.ndarray:
    """Per-bin weights that turn one frame's power spectrum into the K-weighted energy of ``hop`` samples.

    Parseval over the whole two-sided spectrum (the one-sided bins in between count twice) gives ``size`` times
    the window-weighted energy, and the squared Hann windows of overlapping frames add up to ``sum(w**2) / hop``.
    """
    freqs = np.arange(size // 2 + 1) * rate / size
    _, response = scipy.signal.sosfreqz(k_weighting_sos(rate), worN=freqs, fs=rate)
    window = hann(size)
    sides = np.full(len(freqs), 2.0)
    sides[0] = sides[-1] = 1.0
    return (sides * np.abs(response) ** 2 / (size * np.sum(window**2) / hop)).astype(np.float32)


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
