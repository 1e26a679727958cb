"""The match's own sounds, each rendered as a unit-RMS float32 clip whose sample 0 is its onset."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.sim.effects import envelope, loop_to, place_far, repitch, rms, seamless_loop
from core.sim.onsets import SIM_RATE
from core.sim.sources import SourceLibrary, WhistleClip


@dataclass(frozen=True, slots=True)
class Blast:
    """How one referee blast was made (recorded in meta.json)."""

    clip: str
    freq_hz: float
    pitch: float
    distance: float


def unit(samples: np.ndarray) -> np.ndarray:
    """``samples`` scaled to unit RMS."""
    return samples / np.float32(max(1e-12, rms(samples)))


def referee_blast(rng: np.random.Generator, clips: tuple[WhistleClip, ...]) -> tuple[np.ndarray, Blast]:
    """A real whistle blast, pitched by up to +-3 % and heard from 0-70 % of the way across the ground."""
    clip = clips[int(rng.integers(len(clips)))]
    pitch = round(float(rng.uniform(0.97, 1.03)), 4)
    distance = round(float(rng.uniform(0.0, 0.7)), 3)
    dry = unit(repitch(clip.samples, pitch))
    wet = place_far(dry, rng, distance)
    return wet, Blast(clip.name, round(clip.freq_hz * pitch, 1), pitch, distance)


def goal_roar(rng: np.random.Generator, lib: SourceLibrary, seconds: float, attack_s: float) -> np.ndarray:
    """Several crowd-cheer layers swelling over ``attack_s`` and fading at the end, unit RMS at full level."""
    n = int(seconds * SIM_RATE)
    out = np.zeros(n, np.float32)
    for k in range(3):
        src = lib.roars[k % len(lib.roars)]
        loop = seamless_loop(repitch(src, float(rng.uniform(0.95, 1.05))), crossfade_s=1.0)
        out += unit(loop_to(loop, int(rng.integers(len(loop))), n))
    out = unit(out)
    t = np.arange(n, dtype=np.float32) / SIM_RATE
    swell = (1.0 - np.exp(-t / np.float32(attack_s / 3.0))).astype(np.float32)
    return out * swell * envelope(n, 0.0, float(rng.uniform(3.0, 5.0)))


def ooh(rng: np.random.Generator, lib: SourceLibrary) -> np.ndarray:
    """A near-miss "ooh": two pitched copies of a real one, rising and falling within 1.5-3 s."""
    src = lib.oohs[int(rng.integers(len(lib.oohs)))]
    layers = [unit(repitch(src, float(rng.uniform(0.92, 1.08)))) for _ in range(2)]
    n = min(len(x) for x in layers)
    out = unit(layers[0][:n] + layers[1][:n])
    return out * envelope(n, min(0.3, n / SIM_RATE / 3), min(0.6, n / SIM_RATE / 2))
