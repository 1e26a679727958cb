"""Frozen values that flow through the data path. Times are sample indices on the media clock."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

EVENT_TYPES: tuple[str, ...] = (
    "kickoff", "foul", "offside", "penalty_awarded", "goal", "half_time", "full_time",
    "free_kick", "corner", "throw_in", "goal_kick", "shot", "yellow_card", "red_card", "substitution",
)
"""Every event type of the contract."""


@dataclass(frozen=True, slots=True, eq=False)
class AudioBlock:
    """Mono float32 samples at the analysis rate; ``start`` is the index of the first one."""

    start: int
    samples: np.ndarray

    @property
    def end(self) -> int:
        """Index one past the last sample."""
        return self.start + len(self.samples)


@dataclass(frozen=True, slots=True, eq=False)
class SpectrumFrames:
    """Consecutive STFT power frames: row ``i`` is frame ``first + i``, centred at ``(first+i)*hop + size//2``.

    ``power`` is C-contiguous float32, shape (frames, size//2 + 1), in linear power units.
    """

    first: int
    hop: int
    size: int
    power: np.ndarray

    def __len__(self) -> int:
        return self.power.shape[0]

    def start_sample(self, i: int) -> int:
        """Sample index of the first sample of row ``i``."""
        return (self.first + i) * self.hop


@dataclass(frozen=True, slots=True)
class LoudnessReading:
    """K-weighted loudness (BS.1770) of the windows that end at sample ``n`` (exclusive)."""

    n: int
    momentary_lufs: float
    short_term_lufs: float


@dataclass(frozen=True, slots=True)
class Anchor:
    """A detection in the audio that a logged event may belong to."""

    kind: str  # "whistle" | "crowd_surge"
    start: int
    end: int
    confidence: float
    freqs_hz: tuple[float, ...] = ()
    peak: int | None = None
    gain_lu: float | None = None
    withdrawn: bool = False
    """Set on the last report of an anchor its detector took back (see core.detect.pipeline)."""

    def to_json(self, rate: int) -> dict:
        """The contract's anchor object."""
        out: dict = {"kind": self.kind, "t": round(self.start / rate, 4)}
        if self.kind == "crowd_surge":
            out["t_peak"] = round((self.peak if self.peak is not None else self.start) / rate, 4)
            out["t_end"] = round(self.end / rate, 4)
            out["gain_lu"] = round(float(self.gain_lu or 0.0), 2)
        else:
            out["t_end"] = round(self.end / rate, 4)
            out["freqs_hz"] = [round(f, 1) for f in self.freqs_hz]
        out["confidence"] = round(self.confidence, 3)
        return out


@dataclass(frozen=True, slots=True)
class Rejection:
    """A candidate a detector considered and turned down, with the reason (for --explain)."""

    kind: str
    start: int
    end: int
    reason: str


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """An event as the logger typed it; ``t`` is seconds on the logger's own clock."""

    id: str
    type: str
    t: float
    extra: dict = field(default_factory=dict, compare=False, hash=False)
