"""Measuring where a whistle starts in a clean source clip, independently of the product's detector.

The measurement looks at the strongest spectral line in 1.8-4.5 kHz frame by frame (1 ms hop, 21 ms
window) and takes the first sustained rise to halfway (in dB) between the clip's floor and its whistle
level. It is run once per source clip; the clip is then cut at that sample so a placed whistle's onset
lands exactly on the truth sample.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

SIM_RATE = 48_000
"""Sample rate of every simulated match and of every source clip once loaded."""

_WINDOW = 1024
_HOP = 48
_BAND_HZ = (1800.0, 4500.0)


@dataclass(frozen=True, slots=True)
class WhistleSpan:
    """One whistle blast inside a source clip, in samples at SIM_RATE."""

    onset: int
    end: int
    freq_hz: float


def whistle_spans(samples: np.ndarray, min_gap_s: float = 0.12, min_len_s: float = 0.12) -> list[WhistleSpan]:
    """Every sustained whistle blast in ``samples`` (mono, SIM_RATE) whose rise is visible in the clip.

    A blast that is already sounding at the clip's first 80 ms has no visible onset and is left out.
    """
    freqs, _, spec = signal.stft(samples.astype(np.float64), SIM_RATE, window="hann", nperseg=_WINDOW,
                                 noverlap=_WINDOW - _HOP, boundary=None, padded=False)
    band = (freqs >= _BAND_HZ[0]) & (freqs <= _BAND_HZ[1])
    power = np.abs(spec[band]) ** 2
    peak_db = 10.0 * np.log10(power.max(axis=0) + 1e-14)
    peak_hz = freqs[band][power.argmax(axis=0)]
    floor, top = np.percentile(peak_db, 10), np.percentile(peak_db, 98)
    if top - floor < 15.0:
        return []
    above = peak_db > floor + 0.5 * (top - floor)
    centres = np.arange(len(peak_db)) * _HOP + _WINDOW // 2
    runs = _runs(above, int(min_gap_s * SIM_RATE / _HOP))
    spans = []
    for first, last in runs:
        if (last - first) * _HOP < min_len_s * SIM_RATE or centres[first] < 0.08 * SIM_RATE:
            continue
        spans.append(WhistleSpan(int(centres[first]), int(centres[last]) + _WINDOW // 2,
                                 float(np.median(peak_hz[first:last + 1]))))
    return spans


def _runs(mask: np.ndarray, bridge: int) -> list[tuple[int, int]]:
    """(first, last) index pairs of True runs, joining runs separated by at most ``bridge`` False frames."""
    idx = np.flatnonzero(mask)
    if not len(idx):
        return []
    breaks = np.flatnonzero(np.diff(idx) > bridge + 1)
    starts = np.concatenate(([idx[0]], idx[breaks + 1]))
    ends = np.concatenate((idx[breaks], [idx[-1]]))
    return list(zip(starts.tolist(), ends.tolist()))
