"""Reaction calibration: the trainee taps along to whistles and beeps; their lateness is the median delay."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CUE_COUNT = 12
LEAD_IN_S = 2.0
TAP_WINDOW_S = (-0.3, 1.5)
"""A tap belongs to the last cue it follows (or precedes by at most 0.3 s) within 1.5 s."""


@dataclass(frozen=True, slots=True)
class Cue:
    """One sound to tap along to."""

    t: float
    kind: str  # "whistle" | "beep"


@dataclass(frozen=True, slots=True)
class Calibration:
    """A trainee's measured reaction: median and interquartile spread of tap minus cue."""

    lateness_s: float
    spread_s: float
    taps_matched: int
    cues: int


def cue_plan(seed: int = 0, count: int = CUE_COUNT) -> tuple[Cue, ...]:
    """Cues at irregular 1.6-3.2 s intervals (so they cannot be anticipated), alternating kinds at random."""
    rng = np.random.default_rng(seed)
    times = LEAD_IN_S + np.cumsum(np.r_[0.0, rng.uniform(1.6, 3.2, count - 1)])
    kinds = rng.choice(("whistle", "beep"), count)
    return tuple(Cue(round(float(t), 3), str(k)) for t, k in zip(times, kinds))


def render_cues(cues: tuple[Cue, ...], rate: int) -> np.ndarray:
    """Mono float32 audio of the cues: a warbling 3.2 kHz whistle (0.4 s) or a plain 1 kHz beep (0.15 s)."""
    total = int((cues[-1].t + 1.0) * rate) if cues else 0
    out = np.zeros(total, dtype=np.float32)
    for cue in cues:
        dur = 0.4 if cue.kind == "whistle" else 0.15
        t = np.arange(int(dur * rate)) / rate
        if cue.kind == "whistle":
            warble = np.sin(2 * np.pi * 35 * t)
            tone = np.sin(2 * np.pi * 3200 * t + 4.0 * warble) * (0.6 + 0.4 * warble)
        else:
            tone = np.sin(2 * np.pi * 1000 * t)
        ramp = np.minimum(1.0, np.minimum(t, dur - t) / 0.005)
        n = int(cue.t * rate)
        out[n:n + len(t)] += (0.5 * tone * ramp).astype(np.float32)[:total - n]
    return out


def measure(cues: tuple[Cue, ...], taps: list[float]) -> Calibration:
    """The trainee's lateness from their tap times (seconds on the cues' clock)."""
    delays = []
    free = sorted(taps)
    for cue in cues:
        near = [tap for tap in free if TAP_WINDOW_S[0] <= tap - cue.t <= TAP_WINDOW_S[1]]
        if near:
            tap = min(near, key=lambda x: abs(x - cue.t))
            free.remove(tap)
            delays.append(tap - cue.t)
    if not delays:
        return Calibration(0.0, 0.0, 0, len(cues))
    q25, q50, q75 = np.percentile(delays, (25, 50, 75))
    return Calibration(round(float(q50), 4), round(float(q75 - q25), 4), len(delays), len(cues))
