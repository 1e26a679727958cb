"""The crowd bed: real crowd recordings looped without seams, blended with shaped noise, rising in level.

Random access: any sample range can be rendered on its own (the console streams the demo), and the
same range always gives the same samples.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.sim.effects import db, lowpass, repitch, rms, seamless_loop
from core.sim.onsets import SIM_RATE
from core.sim.sources import SourceLibrary

RISE_DB_PER_90 = 6.0
"""How much the baseline rises over 90 minutes of match."""

_NOISE_LOOPS_S = (19.7, 27.3)
_GAIN_STEP = 480


@dataclass(frozen=True, slots=True, eq=False)
class CrowdBed:
    """Loop layers (unit RMS mix) and the level curve; ``level_db`` is the bed's RMS at the start, in dBFS."""

    loops: tuple[np.ndarray, ...]
    weights: tuple[float, ...]
    offsets: tuple[int, ...]
    level_db: float
    wander: tuple[tuple[float, float, float], ...]
    """Slow level wander: (amplitude dB, period s, phase rad) per component."""

    def level_at(self, n: np.ndarray | int) -> np.ndarray | float:
        """The bed's nominal RMS level in dBFS at sample(s) ``n``."""
        t = np.asarray(n, dtype=np.float64) / SIM_RATE
        level = self.level_db + RISE_DB_PER_90 * t / 5400.0
        for amp, period, phase in self.wander:
            level = level + amp * np.sin(2.0 * np.pi * t / period + phase)
        return level

    def rms_at(self, n: int) -> float:
        """The bed's nominal linear RMS at sample ``n``."""
        return db(float(self.level_at(n)))

    def render(self, start: int, count: int) -> np.ndarray:
        """Samples ``start`` .. ``start + count`` of the bed, float32."""
        out = np.zeros(count, np.float32)
        for loop, weight, offset in zip(self.loops, self.weights, self.offsets):
            _add_wrapped(out, loop, (start + offset) % len(loop), np.float32(weight))
        # the level changes over minutes: compute it every _GAIN_STEP samples and interpolate
        first = start - start % _GAIN_STEP
        knots = np.arange(first, start + count + _GAIN_STEP, _GAIN_STEP, dtype=np.int64)
        gains = np.power(10.0, self.level_at(knots) / 20.0)
        out *= np.interp(np.arange(start, start + count, dtype=np.float64), knots, gains).astype(np.float32)
        return out


def _add_wrapped(out: np.ndarray, loop: np.ndarray, pos: int, weight: np.float32) -> None:
    """out += weight * loop[pos:], wrapping round the loop as often as needed."""
    done = 0
    while done < len(out):
        take = min(len(out) - done, len(loop) - pos)
        out[done:done + take] += weight * loop[pos:pos + take]
        done += take
        pos = 0


def shaped_noise_loop(rng: np.random.Generator, seconds: float) -> np.ndarray:
    """Circular noise with a crowd-like spectrum (broad hump 200-1000 Hz, falling above 3 kHz), unit RMS."""
    n = int(seconds * SIM_RATE)
    freqs = np.fft.rfftfreq(n, 1.0 / SIM_RATE)
    f = np.maximum(freqs, 1.0)
    shape = (f / 200.0) / (1.0 + (f / 200.0) ** 2) ** 0.5 / (1.0 + (f / 1000.0) ** 2) ** 0.35
    shape /= (1.0 + (f / 6000.0) ** 4)
    spectrum = shape * np.exp(2j * np.pi * rng.uniform(size=len(freqs)))
    spectrum[0] = 0.0
    noise = np.fft.irfft(spectrum, n)
    return (noise / np.sqrt(np.mean(noise ** 2))).astype(np.float32)


def build_bed(rng: np.random.Generator, lib: SourceLibrary) -> CrowdBed:
    """A bed of every crowd recording (each twice, pitched apart) and two noise loops, at about -31 dBFS."""
    loops, weights = [], []
    for i, clip in enumerate(lib.crowd_beds):
        tamed = lowpass(clip, 3500.0, order=2) if i == 0 else clip
        for pitch in (float(rng.uniform(0.96, 0.99)), float(rng.uniform(1.01, 1.04))):
            loop = seamless_loop(repitch(tamed, pitch))
            loops.append(loop / np.float32(rms(loop)))
            weights.append(db(float(rng.uniform(-3.0, 0.0))))
    for seconds in _NOISE_LOOPS_S:
        loops.append(shaped_noise_loop(rng, seconds))
        weights.append(db(float(rng.uniform(-2.0, 1.0))))
    # the layers are uncorrelated: their powers add
    norm = float(np.sqrt(sum(w * w for w in weights)))
    weights = [w / norm for w in weights]
    offsets = [int(rng.integers(len(loop))) for loop in loops]
    wander = tuple((float(rng.uniform(0.2, 0.5)), float(rng.uniform(180.0, 720.0)), float(rng.uniform(0, 2 * np.pi)))
                   for _ in range(3))
    return CrowdBed(tuple(loops), tuple(weights), tuple(offsets), float(rng.uniform(-33.0, -29.0)), wander)
