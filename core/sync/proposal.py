"""What the sync engine proposes for one logged event: value types shared with the console."""
from __future__ import annotations

from dataclasses import dataclass

from core.model import Anchor


@dataclass(frozen=True, slots=True)
class Candidate:
    """One time the event could be placed at; ``n`` is a sample index at the analysis rate."""

    n: int
    basis: str  # "whistle" | "crowd" | "clock"
    score: float  # posterior probability that this is the right placement
    anchor: Anchor | None
    why: str


@dataclass(frozen=True, slots=True)
class Proposal:
    """The engine's current answer for one logged event (see CONTRACT.md, corrected event)."""

    event_id: str
    type: str
    t_logged: float
    n: int
    confidence: float
    basis: str  # "whistle" | "crowd" | "clock" | "none"
    anchor: Anchor | None
    alternatives: tuple[Candidate, ...]
    why: str
    early_risk: bool
    revision: int = 0

    def to_json(self, rate: int) -> dict:
        """The contract's corrected event object, plus revision, why, early_risk and alternatives."""
        return {
            "id": self.event_id,
            "type": self.type,
            "t_logged": self.t_logged,
            "t": round(self.n / rate, 4),
            "confidence": round(self.confidence, 3),
            "basis": self.basis,
            "anchor_t": None if self.anchor is None else round(self.anchor.start / rate, 4),
            "revision": self.revision,
            "early_risk": self.early_risk,
            "why": self.why,
            "alternatives": [
                {"t": round(c.n / rate, 4), "basis": c.basis, "score": round(c.score, 3), "why": c.why}
                for c in self.alternatives
            ],
        }
