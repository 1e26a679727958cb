"""The human logger: a foreign clock, per-type lateness, and the mistakes real loggers make.

The logger's clock reads ``offset_s + t * (1 + drift_ppm * 1e-6)`` at media time ``t``. Each entry is
typed ``lateness`` seconds after the action (lognormal per type, medians 1.5-4 s); about 3 % are typed
early (anticipation), 2 % of actions are never logged, 1 % are logged twice (the second entry gets a new
id), and 1 % carry the wrong type (keeping the action's id).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.model import EVENT_TYPES, LoggedEvent
from core.sim.onsets import SIM_RATE
from core.sim.timeline import Action

EARLY_RATE, MISS_RATE, DUPLICATE_RATE, WRONG_TYPE_RATE = 0.03, 0.02, 0.01, 0.01


@dataclass(frozen=True, slots=True)
class LoggerModel:
    """The parameters one simulated logger used (recorded in meta.json)."""

    offset_s: float
    drift_ppm: float
    lateness: dict[str, tuple[float, float]]
    """Per type: (median seconds, lognormal sigma)."""

    def clock(self, media_s: float) -> float:
        """The logger's clock reading at media time ``media_s``."""
        return self.offset_s + media_s * (1.0 + self.drift_ppm * 1e-6)

    def to_json(self) -> dict:
        """The meta.json view."""
        return {"offset_s": self.offset_s, "drift_ppm": self.drift_ppm,
                "clock": "t_logger = offset_s + t_media * (1 + drift_ppm * 1e-6)",
                "lateness": {k: {"median_s": m, "sigma": s} for k, (m, s) in self.lateness.items()},
                "early_rate": EARLY_RATE, "miss_rate": MISS_RATE, "duplicate_rate": DUPLICATE_RATE,
                "wrong_type_rate": WRONG_TYPE_RATE}


@dataclass(frozen=True, slots=True)
class LoggedMatch:
    """What the logger produced, in typing order, and which mistakes were made."""

    events: tuple[LoggedEvent, ...]
    mistakes: dict[str, list]


def draw_logger(rng: np.random.Generator) -> LoggerModel:
    """A logger: offset uniform in +-8 s, drift up to 150 ppm either way, lateness medians 1.5-4 s."""
    offset = round(float(rng.uniform(-8.0, 8.0)), 3)
    drift = round(float(rng.uniform(-150.0, 150.0)), 1)
    lateness = {t: (round(float(rng.uniform(1.5, 4.0)), 3), round(float(rng.uniform(0.25, 0.5)), 3))
                for t in EVENT_TYPES}
    return LoggerModel(offset, drift, lateness)


def log_match(rng: np.random.Generator, model: LoggerModel, actions: tuple[Action, ...]) -> LoggedMatch:
    """The logger's entries for ``actions`` (each drawn from ``rng`` in action order)."""
    entries: list[tuple[float, LoggedEvent]] = []
    mistakes: dict[str, list] = {"missed": [], "early": [], "duplicates": [], "wrong_type": []}
    dup = 0
    for action in actions:
        u = rng.uniform(size=4)
        median, sigma = model.lateness[action.type]
        late = float(median * np.exp(sigma * rng.standard_normal()))
        if u[0] < MISS_RATE:
            mistakes["missed"].append(action.id)
            continue
        if u[1] < EARLY_RATE:
            late = -float(rng.uniform(0.5, 2.5))
            mistakes["early"].append(action.id)
        kind = action.type
        if u[2] < WRONG_TYPE_RATE:
            kind = str(rng.choice([t for t in EVENT_TYPES if t != action.type]))
            mistakes["wrong_type"].append({"id": action.id, "true": action.type, "logged": kind})
        media = action.n / SIM_RATE + late
        entries.append((media, LoggedEvent(action.id, kind, round(model.clock(media), 3))))
        if u[3] < DUPLICATE_RATE:
            dup += 1
            again = media + float(rng.uniform(1.0, 6.0))
            copy = LoggedEvent(f"dup-{dup:04d}", kind, round(model.clock(again), 3))
            entries.append((again, copy))
            mistakes["duplicates"].append({"id": copy.id, "of": action.id})
    entries.sort(key=lambda e: (e[0], e[1].id))
    return LoggedMatch(tuple(e for _, e in entries), mistakes)
