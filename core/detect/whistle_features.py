"""Per-frame whistle features, computed with vectorised numpy over a batch of STFT power frames."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SEARCH_HZ = (1800.0, 4500.0)
"""Where a whistle fundamental may sit."""
TOTAL_HZ = (1000.0, 7800.0)
"""The band whose energy a whistle's peak (and its 2nd harmonic) must dominate."""
HISTORY_HZ = (1450.0, 4850.0)
"""Bins of this band are kept as history for onset and rise measurements (search band +- 12 bins)."""
PEAK_HALF_WIDTH = 6
"""Bins either side of a peak counted as its own energy (pea warble spreads a whistle over ~200 Hz)."""
LOCAL_HALF_WIDTH = 32
"""Bins either side of a peak (~1 kHz) for its local concentration."""
GATE_SHARE = 1 / 16
"""A frame may be tonal only if its peak bin holds this share of the 1-7.8 kHz energy (noise: ~1/44)."""


@dataclass(frozen=True, slots=True)
class BinLayout:
    """Bin indices of the feature bands for one STFT geometry."""

    hz_per_bin: float
    search: tuple[int, int]
    total: tuple[int, int]
    history: tuple[int, int]
    nyquist_bin: int

    @classmethod
    def for_geometry(cls, rate: int, size: int) -> BinLayout:
        """Layout for frames of ``size`` samples at ``rate``."""
        hz = rate / size
        nyq = size // 2

        def b(f: float) -> int:
            return min(nyq, int(round(f / hz)))

        layout = cls(hz, (b(SEARCH_HZ[0]), b(SEARCH_HZ[1]) + 1), (b(TOTAL_HZ[0]), b(TOTAL_HZ[1]) + 1),
                     (b(HISTORY_HZ[0]), b(HISTORY_HZ[1]) + 1), nyq)
        if layout.history[1] > nyq or layout.search[1] + LOCAL_HALF_WIDTH > nyq:
            raise ValueError(f"STFT geometry rate={rate} size={size} too coarse for whistle features")
        return layout


@dataclass(frozen=True, slots=True)
class FrameFeatures:
    """Features of the frames that may be tonal; every array has one entry per such frame."""

    freq_hz: np.ndarray     # interpolated frequency of the strongest peak in the search band
    level_db: np.ndarray    # energy of that peak (+-PEAK_HALF_WIDTH bins), dB
    concentration: np.ndarray  # (peak + its 2nd harmonic) / whole band energy, 0-1
    local_concentration: np.ndarray  # (peak + its 2nd harmonic) / (energy within +-1 kHz + 2nd harmonic)
    prominence_db: np.ndarray  # peak bin over the mean of the rest of the band, dB


_TINY = np.float32(1e-20)


_NEAR = np.arange(-LOCAL_HALF_WIDTH, LOCAL_HALF_WIDTH + 1)
_OWN = np.arange(-PEAK_HALF_WIDTH, PEAK_HALF_WIDTH + 1)
_OWN_IN_NEAR = slice(LOCAL_HALF_WIDTH - PEAK_HALF_WIDTH, LOCAL_HALF_WIDTH + PEAK_HALF_WIDTH + 1)


def frame_features(power: np.ndarray, layout: BinLayout) -> tuple[np.ndarray, FrameFeatures]:
    """Row indices of ``power`` (frames x bins, linear power) that may be tonal, and their features.

    A row may be tonal when its strongest search-band bin holds at least GATE_SHARE of the band's
    energy; only those rows get the full feature set (one gather of the bins around the peak and
    around its 2nd harmonic).
    """
    s0, s1 = layout.search
    t0, t1 = layout.total
    band = power[:, s0:s1]
    peak_all = np.fmax.reduce(band, axis=1)
    total_all = np.einsum("ij->i", power[:, t0:t1])  # a row's sum never depends on the other rows
    gated = np.flatnonzero(peak_all >= GATE_SHARE * total_all + _TINY)
    k = band[gated].argmax(axis=1) + s0
    idx = np.concatenate((k[:, None] + _NEAR, 2 * k[:, None] + _OWN), axis=1)
    np.clip(idx, 0, layout.nyquist_bin, out=idx)
    near = power[gated[:, None], idx]
    own = near[:, _OWN_IN_NEAR]
    local = own.sum(axis=1)
    h2 = np.where(2 * k + PEAK_HALF_WIDTH <= layout.nyquist_bin, near[:, len(_NEAR):].sum(axis=1), 0.0)
    total = total_all[gated] + _TINY
    around = near[:, :len(_NEAR)].sum(axis=1) + h2 + _TINY
    rest_mean = np.maximum(total - local - h2, _TINY) / (t1 - t0 - 2 * len(_OWN))
    a, b, c = np.log(own[:, PEAK_HALF_WIDTH - 1:PEAK_HALF_WIDTH + 2] + _TINY).T
    denom = a - 2 * b + c
    delta = np.where(denom < 0, 0.5 * (a - c) / np.where(denom < 0, denom, -1.0), 0.0)
    return gated, FrameFeatures(
        freq_hz=(k + np.clip(delta, -0.5, 0.5)) * layout.hz_per_bin,
        level_db=10 * np.log10(local + _TINY),
        concentration=np.minimum((local + h2) / total, 1.0),
        local_concentration=np.minimum((local + h2) / around, 1.0),
        prominence_db=10 * np.log10((own[:, PEAK_HALF_WIDTH] + _TINY) / rest_mean),
    )
