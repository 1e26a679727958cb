"""Sound treatments that keep a clip's first sample where it was: gain, pitch, distance, fades, loops."""
from __future__ import annotations

import numpy as np
import soxr
from scipy import signal

from core.sim.onsets import SIM_RATE


def db(gain_db: float) -> float:
    """Linear amplitude factor of ``gain_db``."""
    return float(10.0 ** (gain_db / 20.0))


def repitch(samples: np.ndarray, factor: float) -> np.ndarray:
    """Play ``samples`` ``factor`` times faster (pitch up by ``factor``); sample 0 stays sample 0."""
    if abs(factor - 1.0) < 1e-6:
        return samples
    out_rate = round(SIM_RATE / factor)
    return soxr.resample(samples, SIM_RATE, out_rate, quality="HQ").astype(np.float32)


def lowpass(samples: np.ndarray, cutoff_hz: float, order: int = 2) -> np.ndarray:
    """Causal Butterworth low-pass (air absorption and distance)."""
    sos = signal.butter(order, cutoff_hz, "lowpass", fs=SIM_RATE, output="sos")
    return signal.sosfilt(sos, samples).astype(np.float32)


def bandpass(samples: np.ndarray, low_hz: float, high_hz: float, order: int = 2) -> np.ndarray:
    """Causal Butterworth band-pass (loudspeakers, telephone-like PA)."""
    sos = signal.butter(order, (low_hz, high_hz), "bandpass", fs=SIM_RATE, output="sos")
    return signal.sosfilt(sos, samples).astype(np.float32)


def reverb_ir(rng: np.random.Generator, rt60_s: float, predelay_s: float = 0.012) -> np.ndarray:
    """A synthetic diffuse tail: exponentially decaying noise after a pre-delay, unit energy, no direct path."""
    n = int(rt60_s * SIM_RATE)
    t = np.arange(n) / SIM_RATE
    tail = rng.standard_normal(n) * np.exp(-6.9 * t / rt60_s)
    tail = lowpass(tail.astype(np.float32), 6000.0, order=1)
    ir = np.concatenate((np.zeros(int(predelay_s * SIM_RATE), np.float32), tail))
    return (ir / np.sqrt(np.sum(ir.astype(np.float64) ** 2))).astype(np.float32)


def place_far(samples: np.ndarray, rng: np.random.Generator, distance: float) -> np.ndarray:
    """A source heard from ``distance`` (0 near .. 1 far): duller, more reverberant; the onset stays at 0."""
    cutoff = 14000.0 * (1.0 - distance) + 4500.0 * distance
    dry = lowpass(samples, cutoff)
    ir = reverb_ir(rng, rt60_s=0.4 + 0.8 * distance)
    wet = signal.fftconvolve(dry, ir)[: len(dry) + len(ir)].astype(np.float32)
    out = np.zeros(len(wet), np.float32)
    out[: len(dry)] = dry
    wet_gain = 0.15 + 0.5 * distance
    return out + np.float32(wet_gain) * wet


def envelope(n: int, attack_s: float, release_s: float) -> np.ndarray:
    """Linear attack, flat, linear release over ``n`` samples."""
    env = np.ones(n, np.float32)
    a, r = min(n, int(attack_s * SIM_RATE)), min(n, int(release_s * SIM_RATE))
    if a:
        env[:a] = np.linspace(0.0, 1.0, a, dtype=np.float32)
    if r:
        env[n - r:] *= np.linspace(1.0, 0.0, r, dtype=np.float32)
    return env


def seamless_loop(samples: np.ndarray, crossfade_s: float = 1.5) -> np.ndarray:
    """A buffer that can be played end to start without a seam: the tail is equal-power crossfaded into the head."""
    x = int(crossfade_s * SIM_RATE)
    body = samples[: len(samples) - x].copy()
    ramp = np.linspace(0.0, np.pi / 2, x, dtype=np.float32)
    body[:x] = body[:x] * np.sin(ramp) + samples[len(samples) - x:] * np.cos(ramp)
    return body


def loop_to(loop: np.ndarray, start: int, n: int) -> np.ndarray:
    """``n`` samples of a seamless loop starting at loop position ``start``."""
    return loop[(np.arange(n, dtype=np.int64) + start) % len(loop)]


def rms(samples: np.ndarray) -> float:
    """Root mean square, computed in float64."""
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) if len(samples) else 0.0
