"""Extra feeds cut from a simulated match: another microphone's crowd mix, its own noise, offset and drift.

The proving ground of alignment (tests, benchmark, the console's demo feeds). A feed heard at feed time
t_f carries the match sound of master time t_m = offset_s + t_f * (1 + drift_ppm * 1e-6), exactly, where
offset_s is rounded to a whole sample of the match (1/48000 s): ``whole_sample`` gives the value used.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import soxr
from scipy.signal import butter, sosfilt

from core.sim.match import Match
from core.sim.mixer import Mixer
from core.sim.onsets import SIM_RATE


def feed_audio(match: Match, *, offset_s: float, drift_ppm: float, seconds: float, rate: int, seed: int,
               snr_db: float = 20.0, lowpass_hz: float = 5000.0) -> np.ndarray:
    """``seconds`` of a second microphone at ``rate``: crowd layers re-weighted, low-passed, white noise added."""
    rng = np.random.default_rng(seed)
    bed = match.mixer.bed
    weights = np.asarray(bed.weights) * rng.uniform(0.3, 1.7, len(bed.weights))
    weights /= np.sqrt(np.sum(weights ** 2))
    mixer = Mixer(dataclasses.replace(bed, weights=tuple(float(w) for w in weights)), match.mixer.placements,
                  match.samples)
    scale = 1.0 + drift_ppm * 1e-6
    first = round(offset_s * SIM_RATE)
    count = int(np.ceil(seconds * scale * SIM_RATE)) + SIM_RATE
    source = _render_padded(mixer, first, count)
    source = sosfilt(butter(4, lowpass_hz, fs=SIM_RATE, output="sos"), source).astype(np.float32)
    # feed sample j is master sample first + j * scale: soxr treats the source as running at SIM_RATE * scale
    out = soxr.resample(source, SIM_RATE * scale, rate, quality="VHQ")[: int(seconds * rate)]
    noise = rng.standard_normal(len(out)).astype(np.float32)
    level = np.sqrt(np.mean(out.astype(np.float64) ** 2)) * 10 ** (-snr_db / 20)
    return (out + noise * np.float32(level)).astype(np.float32)


def whole_sample(offset_s: float) -> float:
    """The offset ``feed_audio`` really applies: ``offset_s`` rounded to a whole sample of the match."""
    return round(offset_s * SIM_RATE) / SIM_RATE


def master_audio(match: Match, *, seconds: float, rate: int, seed: int, snr_db: float = 30.0) -> np.ndarray:
    """The match mix itself at ``rate`` with its own white noise."""
    rng = np.random.default_rng(seed)
    out = soxr.resample(match.mixer.render(0, int(seconds * SIM_RATE)), SIM_RATE, rate, quality="VHQ")
    level = np.sqrt(np.mean(out.astype(np.float64) ** 2)) * 10 ** (-snr_db / 20)
    return (out + rng.standard_normal(len(out)).astype(np.float32) * np.float32(level)).astype(np.float32)


def _render_padded(mixer: Mixer, first: int, count: int) -> np.ndarray:
    """Samples first .. first+count of the match, zeros before its start and after its end."""
    out = np.zeros(count, np.float32)
    a = max(first, 0)
    b = min(first + count, mixer.samples)
    if b > a:
        out[a - first:b - first] = mixer.render(a, b - a)
    return out
