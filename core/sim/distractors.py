"""Sounds that are not the referee: fans' whistles, far-away real whistles, horns, drums, PA, commentary.

Each kind has a count per 90 minutes; times avoid the referee's blasts by a margin so every detection
can be attributed, and are recorded in meta.json with their kind.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

from core.sim.effects import bandpass, envelope, lowpass, place_far, reverb_ir
from core.sim.onsets import SIM_RATE
from core.sim.sounds import unit
from core.sim.sources import SourceLibrary
from core.sim.speech import COMMENTARY, PA, pick_voice, speak

PER_90: dict[str, int] = {"fan_whistle": 8, "slide_whistle": 5, "far_whistle": 6, "horn": 10, "drum": 8,
                          "pa": 4, "commentary": 60}
"""How many of each kind a 90-minute match gets."""

LEVEL_DB: dict[str, tuple[float, float]] = {
    "fan_whistle": (-4.0, 4.0), "slide_whistle": (-4.0, 4.0), "far_whistle": (-14.0, -6.0), "horn": (0.0, 8.0),
    "drum": (2.0, 8.0), "pa": (2.0, 6.0), "commentary": (6.0, 10.0),
}
"""Level relative to the crowd bed's RMS at that moment, dB (drawn uniformly)."""

WHISTLE_KINDS = frozenset({"fan_whistle", "slide_whistle", "far_whistle"})


@dataclass(frozen=True, slots=True)
class Distractor:
    """A placed distractor: unit-RMS ``samples`` start at ``n``; ``detail`` describes it for meta.json."""

    kind: str
    n: int
    samples: np.ndarray
    rel_db: float
    detail: str


def plan(rng: np.random.Generator, lib: SourceLibrary, samples: int, busy: list[tuple[int, int]],
         scale: float) -> list[Distractor]:
    """Every distractor of the match, placed away from the ``busy`` spans (blasts, goal build-ups) and each other."""
    taken = [(a - int(1.5 * SIM_RATE), b + int(1.5 * SIM_RATE)) for a, b in busy]
    out = []
    for kind, per90 in PER_90.items():
        for _ in range(int(np.floor(per90 * scale + rng.uniform()))):
            sound, detail = _render(rng, lib, kind)
            n = _free_start(rng, samples, len(sound), taken)
            if n is None:
                continue
            taken.append((n - SIM_RATE, n + len(sound) + SIM_RATE))
            lo, hi = LEVEL_DB[kind]
            out.append(Distractor(kind, n, sound, round(float(rng.uniform(lo, hi)), 2), detail))
    return sorted(out, key=lambda d: (d.n, d.kind))


def _free_start(rng: np.random.Generator, samples: int, length: int, taken: list[tuple[int, int]]) -> int | None:
    """A start where ``length`` samples clash with nothing in ``taken``; None after 100 tries."""
    for _ in range(100):
        n = int(rng.integers(SIM_RATE, max(SIM_RATE + 1, samples - length - SIM_RATE)))
        if not any(a < n + length and n < b for a, b in taken):
            return n
    return None


def _render(rng: np.random.Generator, lib: SourceLibrary, kind: str) -> tuple[np.ndarray, str]:
    if kind == "fan_whistle":
        f = float(rng.uniform(1000.0, 5000.0))
        return unit(_tone([f, f], float(rng.uniform(0.4, 1.5)), rng)), f"steady {f:.0f} Hz"
    if kind == "slide_whistle":
        f0, f1 = (float(x) for x in rng.uniform(1000.0, 5000.0, size=2))
        return unit(_tone([f0, f1], float(rng.uniform(0.5, 1.5)), rng)), f"slide {f0:.0f}->{f1:.0f} Hz"
    if kind == "far_whistle":
        clip = lib.whistles[int(rng.integers(len(lib.whistles)))]
        return unit(place_far(unit(clip.samples), rng, float(rng.uniform(0.85, 1.0)))), f"real {clip.name}"
    if kind == "horn":
        f = float(rng.uniform(300.0, 500.0))
        return unit(_horn(f, float(rng.uniform(0.8, 2.5)), rng)), f"air horn {f:.0f} Hz"
    if kind == "drum":
        beats = int(rng.integers(8, 25))
        return unit(_drum(beats, float(rng.uniform(1.6, 2.4)), rng)), f"{beats} drum beats"
    text = PA[int(rng.integers(len(PA)))] if kind == "pa" else COMMENTARY[int(rng.integers(len(COMMENTARY)))]
    voice, speed = pick_voice(rng)
    spoken = speak(text, voice, speed)
    if kind == "pa":
        dry = bandpass(spoken, 300.0, 4000.0)
        wet = signal.fftconvolve(dry, reverb_ir(rng, 1.6)).astype(np.float32)
        wet[: len(dry)] += dry
        return unit(wet), f"{voice} {speed} wpm: {text}"
    return unit(spoken), f"{voice} {speed} wpm: {text}"


def _tone(path_hz: list[float], seconds: float, rng: np.random.Generator) -> np.ndarray:
    """A fan's whistle: a clean tone (with weak harmonics, no pea warble) gliding along ``path_hz``."""
    n = int(seconds * SIM_RATE)
    freq = np.linspace(path_hz[0], path_hz[-1], n) * (1.0 + 0.003 * np.sin(np.arange(n) * 2 * np.pi * 5.0 / SIM_RATE))
    phase = 2.0 * np.pi * np.cumsum(freq) / SIM_RATE + float(rng.uniform(0, 2 * np.pi))
    tone = np.sin(phase) + 0.15 * np.sin(2 * phase) + 0.05 * np.sin(3 * phase)
    return (tone * envelope(n, 0.03, 0.05)).astype(np.float32)


def _horn(f0: float, seconds: float, rng: np.random.Generator) -> np.ndarray:
    """An air horn: a rich harmonic tone (harmonics reach the whistle band), slight pitch sag."""
    n = int(seconds * SIM_RATE)
    freq = f0 * (1.0 - 0.02 * np.linspace(0.0, 1.0, n))
    phase = 2.0 * np.pi * np.cumsum(freq) / SIM_RATE
    tone = sum(np.sin(k * phase) / k for k in range(1, 14))
    tone = lowpass(tone.astype(np.float32), 5000.0)
    return place_far(tone * envelope(n, 0.02, 0.1), rng, float(rng.uniform(0.3, 0.8)))


def _drum(beats: int, rate_hz: float, rng: np.random.Generator) -> np.ndarray:
    """A supporters' bass drum: decaying low sines with a noisy attack, ``beats`` at ``rate_hz``."""
    period = int(SIM_RATE / rate_hz)
    hit_n = int(0.35 * SIM_RATE)
    t = np.arange(hit_n) / SIM_RATE
    out = np.zeros(period * beats + hit_n, np.float32)
    for b in range(beats):
        f = float(rng.uniform(55.0, 85.0))
        hit = np.sin(2 * np.pi * f * t) * np.exp(-t / 0.09) + 0.3 * rng.standard_normal(hit_n) * np.exp(-t / 0.01)
        out[b * period: b * period + hit_n] += hit.astype(np.float32)
    return place_far(lowpass(out, 2500.0), rng, float(rng.uniform(0.3, 0.7)))
