"""Generalised cross-correlation with PHAT weighting between a feed window and a longer master segment."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import fft as sfft

BAND_HZ = (150.0, 6000.0)
"""Frequencies that vote: below, handling rumble and wind differ per microphone; above, interpolation blurs."""

GUARD_SAMPLES = 24
"""Lags this close to the peak are its own skirt and do not count as noise."""


@dataclass(frozen=True, slots=True)
class Peak:
    """Best lag (samples, sub-sample) of ``feed`` inside ``master`` and how far it stands out of the rest."""

    lag: float
    height: float
    ratio: float
    """(peak - mean of the other lags) / their standard deviation: about 5 for unrelated signals."""
    runner_up: float
    """Height of the best lag outside the peak's skirt over the peak's height: near 1 when ambiguous."""


def gcc_phat(feed: np.ndarray, master: np.ndarray, rate: int) -> Peak:
    """Lag k in 0 .. len(master)-len(feed) such that ``feed[i]`` best matches ``master[i + k]``."""
    lags = len(master) - len(feed) + 1
    if lags <= 0:
        raise ValueError("master segment must be at least as long as the feed window")
    nfft = sfft.next_fast_len(len(master) + len(feed), real=True)
    cross = sfft.rfft(master, nfft) * np.conj(sfft.rfft(feed, nfft))
    freqs = np.arange(len(cross)) * (rate / nfft)
    weight = (freqs >= BAND_HZ[0]) & (freqs <= BAND_HZ[1])
    cross = np.where(weight, cross / np.maximum(np.abs(cross), 1e-20), 0.0)
    cc = sfft.irfft(cross, nfft)[:lags]
    k = int(np.argmax(cc))
    peak = float(cc[k])
    lag = float(k)
    if 0 < k < lags - 1:
        y0, y1, y2 = float(cc[k - 1]), peak, float(cc[k + 1])
        denom = y0 - 2.0 * y1 + y2
        if denom < 0.0:
            lag += 0.5 * (y0 - y2) / denom
    rest = np.concatenate([cc[:max(0, k - GUARD_SAMPLES)], cc[k + GUARD_SAMPLES + 1:]])
    if len(rest) < 16:
        return Peak(lag, peak, 0.0, 1.0)
    spread = float(np.std(rest))
    ratio = (peak - float(np.mean(rest))) / spread if spread > 0.0 else 0.0
    return Peak(lag, peak, ratio, float(np.max(rest)) / peak if peak > 0.0 else 1.0)
