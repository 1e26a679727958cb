"""Mixing the crowd bed and every placed sound into any range of output samples."""
from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

from core.sim.crowd import CrowdBed

LIMIT_KNEE = 0.7
"""Above this absolute level the mix is soft-limited (tanh) so it never clips."""


@dataclass(frozen=True, slots=True, eq=False)
class Placement:
    """A rendered sound (already at its final level) starting at output sample ``start``."""

    start: int
    samples: np.ndarray
    kind: str

    @property
    def end(self) -> int:
        return self.start + len(self.samples)


class Mixer:
    """Renders output samples on demand: ``render(start, count)`` for any range, in any order."""

    def __init__(self, bed: CrowdBed, placements: list[Placement], samples: int) -> None:
        self.bed = bed
        self.samples = samples
        self.placements = sorted(placements, key=lambda p: (p.start, p.kind))
        self._starts = [p.start for p in self.placements]
        self._longest = max((len(p.samples) for p in self.placements), default=0)

    def render(self, start: int, count: int) -> np.ndarray:
        """Samples ``start`` .. ``start + count`` (clamped to the match), float32, soft-limited."""
        count = max(0, min(count, self.samples - start))
        out = self.bed.render(start, count)
        stop = start + count
        first = bisect.bisect_left(self._starts, start - self._longest)
        last = bisect.bisect_left(self._starts, stop)
        for p in self.placements[first:last]:
            a, b = max(start, p.start), min(stop, p.end)
            if a < b:
                out[a - start:b - start] += p.samples[a - p.start:b - p.start]
        return soft_limit(out)


def soft_limit(x: np.ndarray) -> np.ndarray:
    """Unchanged below LIMIT_KNEE; above it, compressed smoothly towards 1.0."""
    over = np.abs(x) > LIMIT_KNEE
    if over.any():
        k = np.float32(LIMIT_KNEE)
        v = x[over]
        x[over] = np.sign(v) * (k + (1 - k) * np.tanh((np.abs(v) - k) / (1 - k)))
    return x
