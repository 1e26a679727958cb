"""Candidate-level spectral checks for the whistle detector: concentration on the mean power spectrum of
a blast's loudest frames (averaging smooths a crowd's noise while a whistle's line stays), and the
number of partials near the peak frame by frame (a voice's harmonic comb shows several, and holds them at the same
offsets from its peak frame after frame), and the share of
each frame's +-1 kHz held within +-400 Hz of that frame's own peak (a whistle that jumps between two pitches
smears the mean spectrum, yet every frame stays concentrated around its current pitch)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.detect.whistle_features import LOCAL_HALF_WIDTH, PEAK_HALF_WIDTH, BinLayout


@dataclass(frozen=True, slots=True)
class BlastSpectrum:
    """What the mean spectrum of a candidate says."""

    freq_hz: float
    concentration: float        # peak (+-PEAK_HALF_WIDTH, or +-SPREAD_HALF_WIDTH) and its 2nd harmonic
                                # over the 1-7.8 kHz energy
    local_concentration: float  # the same over the energy within +-1 kHz (plus the 2nd harmonic)
    spread_concentration: float  # as local_concentration, counting +-SPREAD_HALF_WIDTH bins as the peak's
    harmonic_db: float          # 2nd harmonic relative to the peak, dB (-99 above Nyquist)


SPREAD_HALF_WIDTH = 12
"""A strongly warbling pea whistle spreads over about +-400 Hz in the mean spectrum."""


def median(values: np.ndarray) -> float:
    """``float(np.median(values))`` of a short 1-D array without numpy's reduction machinery (about a tenth of
    the time, which counts: a loud crowd makes hundreds of candidates a minute): the same value, in the array's
    precision, and NaN if any value is NaN or there are none."""
    ordered = np.sort(values)
    n = len(ordered)
    if n == 0 or np.isnan(ordered[-1]):  # a sort puts NaNs last
        return float("nan")
    mid = n // 2
    return float(ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2)


def _cluster(power: np.ndarray, centre: int, half: int) -> float:
    lo, hi = max(centre - half, 0), min(centre + half + 1, len(power))
    return float(power[lo:hi].sum())


def blast_spectrum(mean_power: np.ndarray, freq_hz: float, layout: BinLayout) -> BlastSpectrum:
    """Spectral checks of a candidate whose tracked frequency is ``freq_hz``."""
    tiny = 1e-20
    k0 = int(round(freq_hz / layout.hz_per_bin))
    k = k0 - 3 + int(np.argmax(mean_power[k0 - 3:k0 + 4]))
    has_h2 = 2 * k + SPREAD_HALF_WIDTH <= layout.nyquist_bin
    own, spread = _cluster(mean_power, k, PEAK_HALF_WIDTH), _cluster(mean_power, k, SPREAD_HALF_WIDTH)
    h2 = _cluster(mean_power, 2 * k, PEAK_HALF_WIDTH) if has_h2 else 0.0
    h2_spread = _cluster(mean_power, 2 * k, SPREAD_HALF_WIDTH) if has_h2 else 0.0
    t0, t1 = layout.total
    total = float(mean_power[t0:t1].sum()) + tiny
    around = _cluster(mean_power, k, LOCAL_HALF_WIDTH) + tiny
    return BlastSpectrum(
        freq_hz=k * layout.hz_per_bin,
        concentration=min(max(own + h2, spread + h2_spread) / total, 1.0),
        local_concentration=min((own + h2) / (around + h2), 1.0),
        spread_concentration=min((spread + h2_spread) / (around + h2_spread), 1.0),
        harmonic_db=10 * np.log10((h2 + tiny) / (own + tiny)) if h2 else -99.0,
    )


PARTIAL_HALF_WIDTH = 8
PARTIAL_DB = -10.0
"""Local maxima within PARTIAL_HALF_WIDTH bins of a frame's peak and at most PARTIAL_DB under it count."""
PARTIAL_MIN_OFFSET = 2
"""A partial held at the same offset from the peak (at least this many bins away) is a line, not noise."""


@dataclass(frozen=True, slots=True)
class Partials:
    """The partials around a candidate's peak, frame by frame."""

    count: float        # median over frames of the partials (the peak included)
    persistence: float  # largest share of frames holding a partial at one and the same offset from the peak


def partials(spectra: np.ndarray, freqs_hz: np.ndarray, layout: BinLayout) -> Partials:
    """The partials around each frame's peak at ``freqs_hz`` (rows of ``spectra``): how many there are (median
    over frames) and how persistent the most persistent one is. A voice's harmonic comb keeps its partials at
    the same offsets from its peak frame after frame; a crowd's noise puts local maxima anywhere near it."""
    k = np.round(freqs_hz / layout.hz_per_bin).astype(int)
    idx = np.clip(k[:, None] + np.arange(-PARTIAL_HALF_WIDTH, PARTIAL_HALF_WIDTH + 1), 0, spectra.shape[1] - 1)
    seg = spectra[np.arange(len(k))[:, None], idx]
    mid = seg[:, 1:-1]
    floor = seg.max(axis=1, keepdims=True) * 10 ** (PARTIAL_DB / 10)
    peaks = (mid >= seg[:, :-2]) & (mid > seg[:, 2:]) & (mid >= floor)
    away = np.abs(np.arange(-PARTIAL_HALF_WIDTH + 1, PARTIAL_HALF_WIDTH)) >= PARTIAL_MIN_OFFSET
    share = peaks[:, away].mean(axis=0) if len(peaks) else np.zeros(1)
    return Partials(median(peaks.sum(axis=1)), float(share.max()))


def tracked_spread(spectra: np.ndarray, freqs_hz: np.ndarray, layout: BinLayout) -> float:
    """Median over frames of the share of each frame's +-LOCAL_HALF_WIDTH bins (around its peak at ``freqs_hz``)
    within +-SPREAD_HALF_WIDTH bins of that peak."""
    k = np.round(freqs_hz / layout.hz_per_bin).astype(int)
    idx = np.clip(k[:, None] + np.arange(-LOCAL_HALF_WIDTH, LOCAL_HALF_WIDTH + 1), 0, spectra.shape[1] - 1)
    seg = spectra[np.arange(len(k))[:, None], idx]
    own = seg[:, LOCAL_HALF_WIDTH - SPREAD_HALF_WIDTH:LOCAL_HALF_WIDTH + SPREAD_HALF_WIDTH + 1].sum(axis=1)
    return median(own / (seg.sum(axis=1) + 1e-20))


def over_floor(spectra: np.ndarray, freqs_hz: np.ndarray, layout: BinLayout) -> np.ndarray:
    """Rows of ``spectra`` less each row's median within +-LOCAL_HALF_WIDTH bins of its peak at ``freqs_hz``
    (clipped at 0): the line a whistle draws above a crowd's broadband floor, which otherwise dilutes every
    concentration."""
    k = np.round(freqs_hz / layout.hz_per_bin).astype(int)
    idx = np.clip(k[:, None] + np.arange(-LOCAL_HALF_WIDTH, LOCAL_HALF_WIDTH + 1), 0, spectra.shape[1] - 1)
    floor = np.median(spectra[np.arange(len(k))[:, None], idx], axis=1)
    return np.maximum(spectra - floor[:, None], 0.0)


BELOW_FROM_HZ = 300.0
BELOW_GAP_BINS = 12
"""``below_db`` sums from BELOW_FROM_HZ up to BELOW_GAP_BINS bins (~375 Hz) under the peak."""


def below_db(power: np.ndarray, freq_hz: float, layout: BinLayout) -> float:
    """Energy of ``power`` from BELOW_FROM_HZ up to BELOW_GAP_BINS under the peak at ``freq_hz``, relative to the
    peak's own +-PEAK_HALF_WIDTH bins, in dB: a voice's harmonic in the whistle band comes with far stronger
    lower harmonics and formants, a whistle with nothing of its own below it."""
    k = int(round(freq_hz / layout.hz_per_bin))
    lo = int(round(BELOW_FROM_HZ / layout.hz_per_bin))
    below = float(power[lo:max(k - BELOW_GAP_BINS, lo)].sum())
    return float(10 * np.log10((below + 1e-20) / (_cluster(power, k, PEAK_HALF_WIDTH) + 1e-20)))
