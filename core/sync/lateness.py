"""The logger's lateness per event type beyond the typical one, learned from anchored events."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.sync.clock_map import ClockMap, Observation
from core.sync.settings import SyncSettings

KDE_BANDWIDTH = 0.3
"""Kernel width of the deviation density, in units of the type's spread."""


@dataclass(frozen=True, slots=True)
class LatenessModel:
    """Per-type extra lateness (seconds, positive = logged later than typical) and the spread around it.

    ``z`` holds the anchored events' deviations from their type's shift, divided by their type's
    spread: pooled over types they give the shape (skew, tails) of a logger's timing error.
    """

    shifts: dict[str, float] = field(default_factory=dict)
    spreads: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    z: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def shift_for(self, event_type: str) -> float:
        """The type's learned shift, or for a type never anchored the mean over the learned types."""
        if event_type in self.shifts:
            return self.shifts[event_type]
        return float(np.mean(list(self.shifts.values()))) if self.shifts else 0.0

    def spread_for(self, event_type: str, settings: SyncSettings) -> float:
        """Spread of the type's deviations; a type never anchored adds the spread between types' shifts."""
        if event_type in self.spreads:
            return self.spreads[event_type]
        typical = float(np.mean(list(self.spreads.values()))) if self.spreads else settings.lateness_spread_s
        between = float(np.std(list(self.shifts.values()))) if len(self.shifts) >= 3 else settings.lateness_spread_s
        return float(np.hypot(typical, between))

    def timing(self, event_type: str, settings: SyncSettings) -> Timing:
        """Weighted samples of (clock prediction - action) in seconds for this type: data, prior, tails."""
        s = self.spread_for(event_type, settings)
        k0 = settings.lateness_prior_events
        total = len(self.z) + k0
        late = _late_tail(max(s, 0.5), settings.late_tail_s)
        dev = np.concatenate([self.z * s, _PRIOR_Z * s, _EARLY_TAIL, late])
        w = np.concatenate([np.ones(len(self.z)), _PRIOR_W * k0,
                            np.full(len(_EARLY_TAIL), total * settings.early_entry_share / len(_EARLY_TAIL)),
                            np.full(len(late), total * settings.late_tail_share / len(late))])
        return Timing(s, dev, w / w.sum())


_PRIOR_Z = np.linspace(-2.5, 2.5, 21)
_PRIOR_W = np.exp(-0.5 * _PRIOR_Z**2) / np.exp(-0.5 * _PRIOR_Z**2).sum()
_EARLY_TAIL = -np.linspace(1.0, 6.0, 11)
"""Entries typed before the action (seconds before the prediction)."""


def _late_tail(spread: float, scale_s: float) -> np.ndarray:
    """Entries typed very late, the lognormal's long tail: from 2 spreads after the prediction on, an
    exponential tail of ``scale_s`` (equal-weight samples at its quantiles)."""
    q = (np.arange(_TAIL_SAMPLES) + 0.5) / _TAIL_SAMPLES
    return 2.0 * spread - scale_s * np.log1p(-q)


_TAIL_SAMPLES = 64


@dataclass(frozen=True, slots=True)
class Timing:
    """How far a type's clock prediction may be from the action: weighted samples and their spread."""

    spread_s: float
    dev: np.ndarray
    w: np.ndarray  # sums to 1

    def density(self, u: np.ndarray, extra_sd: float = 0.0) -> np.ndarray:
        """Probability density of a deviation ``u`` (seconds), smoothed by the kernel and ``extra_sd``."""
        bw = np.hypot(KDE_BANDWIDTH * self.spread_s, extra_sd)
        k = np.exp(-0.5 * ((np.asarray(u)[:, None] - self.dev[None, :]) / bw) ** 2) / (bw * np.sqrt(2 * np.pi))
        return k @ self.w


def learn_lateness(obs: list[Observation], cmap: ClockMap, previous: LatenessModel,
                   settings: SyncSettings) -> LatenessModel:
    """Per-type shift as the mode of that type's residuals, refined by a median; spreads shrunk when few."""
    by_type: dict[str, list[np.ndarray]] = {}
    for o in obs:
        if len(o.times):
            by_type.setdefault(o.type, []).append(cmap.media_time(o.t_logged) - o.times)
    grid = np.arange(-4.0, 4.0001, 0.05)
    k0, s0 = settings.lateness_prior_events, settings.lateness_spread_s
    shifts, spreads, counts, near_by_type = {}, {}, {}, {}
    for etype, residual_lists in by_type.items():
        votes = np.zeros(len(grid))
        for r in residual_lists:
            votes += np.exp(-0.5 * ((grid[None, :] - r[:, None]) / 0.35) ** 2).max(0, initial=0.0)
        centre = previous.shifts.get(etype, 0.0)
        votes += 0.2 * np.exp(-0.5 * ((grid - centre) / 1.5) ** 2)
        mode = float(grid[votes.argmax()])
        picked = [r[np.abs(r - mode).argmin()] for r in residual_lists if len(r)]
        near = np.array([v for v in picked if abs(v - mode) < 2.5])
        if len(near) == 0:
            continue
        k = len(near)
        shifts[etype] = float(np.median(near)) * k / (k + 0.5)
        dev = near - shifts[etype]
        mad = 1.4826 * float(np.median(np.abs(dev))) if k >= 2 else s0
        spreads[etype] = float(np.sqrt((k * mad**2 + k0 * s0**2) / (k + k0)))
        counts[etype] = k
        near_by_type[etype] = dev / spreads[etype]
    z = np.concatenate(list(near_by_type.values())) if near_by_type else np.zeros(0)
    return LatenessModel(shifts, spreads, counts, z)
