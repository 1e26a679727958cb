"""The logger's clock mapped onto media time: a shared drift and a piecewise-constant offset.

The map sends a logged time to the media time of the action for a typical anchored event, so the
offset absorbs the logger's typical reaction lateness (audio cannot tell the two apart); per-type
differences from that typical lateness live in ``core.sync.lateness``. A jump of the logger's clock
starts a new segment with its own offset.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.sync.settings import SyncSettings


@dataclass(frozen=True, slots=True)
class Observation:
    """An anchorable logged event and the anchor times (seconds, action-aligned) it could belong to."""

    t_logged: float
    type: str
    times: np.ndarray
    weights: np.ndarray


@dataclass(frozen=True, slots=True)
class ClockMap:
    """``media = offset(segment) + t_logged * (1 + drift_ppm * 1e-6)``; segments start at ``breaks``."""

    drift_ppm: float
    breaks: tuple[float, ...]  # logger time where segment i+1 starts
    offsets: tuple[float, ...]  # one per segment
    spread_s: float  # standard uncertainty of a mapped time
    confidence: float  # 0 (prior only) to 1 (many consistent pairs)
    pairs: int  # inlier event-anchor pairs behind the estimate

    @property
    def offset_s(self) -> float:
        """The offset of the latest segment (what the status bar shows)."""
        return self.offsets[-1]

    def media_time(self, t_logged: float) -> float:
        """Media seconds of the action of a typical anchored event logged at ``t_logged``."""
        return float(self.media_times(t_logged))

    def media_times(self, t_logged: np.ndarray | float) -> np.ndarray:
        """``media_time`` for an array of logged times at once."""
        segment = np.searchsorted(np.asarray(self.breaks, dtype=np.float64), t_logged, side="right")
        return np.asarray(self.offsets, dtype=np.float64)[segment] + t_logged * (1.0 + self.drift_ppm * 1e-6)

    @staticmethod
    def prior(settings: SyncSettings) -> ClockMap:
        """The map before any evidence: no offset, no drift, typical lateness, wide uncertainty."""
        return ClockMap(0.0, (), (-settings.prior_lateness_s,), settings.max_offset_s / 2, 0.0, 0)


def fit_clock_map(obs: list[Observation], lateness: dict[str, float], settings: SyncSettings) -> ClockMap:
    """Robust map from the observations: drift by voting, jumps by Viterbi, then a Huber refit.

    ``lateness`` holds each type's lateness beyond the typical one (seconds); wrong pairs only add
    scattered votes, so the estimate holds with a third or more of the pairs wrong.
    """
    obs = sorted((o for o in obs if len(o.times)), key=lambda o: o.t_logged)
    if not obs:
        return ClockMap.prior(settings)
    t_log = np.array([o.t_logged for o in obs])
    shifts = np.array([lateness.get(o.type, 0.0) for o in obs])
    drift = _vote_drift(obs, t_log, shifts, settings)
    states = _viterbi_offsets(obs, t_log, shifts, drift, settings)
    return _refit(obs, t_log, shifts, drift, states, settings)


def _residuals(o: Observation, t_log: float, shift: float, drift_ppm: float) -> np.ndarray:
    return o.times + shift - t_log * (1.0 + drift_ppm * 1e-6)


def _vote_drift(obs, t_log, shifts, settings: SyncSettings) -> float:
    """The drift whose offset histogram has the highest kernel-smoothed peak (0 over short spans)."""
    if t_log[-1] - t_log[0] < 600.0:
        return 0.0  # a few minutes cannot tell drift from lateness spread
    times = np.concatenate([o.times + s for o, s in zip(obs, shifts)])
    logged = np.concatenate([np.full(len(o.times), t) for o, t in zip(obs, t_log)])
    weights = np.concatenate([o.weights for o in obs])
    lo, hi, bin_s = -settings.max_offset_s - 12.0, settings.max_offset_s + 6.0, 0.05
    nbins = int((hi - lo) / bin_s)
    kernel = np.exp(-0.5 * (np.arange(-20, 21) * bin_s / 0.35) ** 2)
    best, best_d = -np.inf, 0.0
    for d in np.arange(-settings.max_drift_ppm, settings.max_drift_ppm + 5.0, 10.0):
        idx = ((times - logged * (1.0 + d * 1e-6) - lo) / bin_s).astype(int)
        ok = (idx >= 0) & (idx < nbins)
        hist = np.bincount(idx[ok], weights=weights[ok], minlength=nbins)
        score = np.convolve(hist, kernel, mode="same").max() - 1e-4 * abs(d)
        if score > best:
            best, best_d = score, float(d)
    return best_d


def _viterbi_offsets(obs, t_log, shifts, drift, settings: SyncSettings) -> np.ndarray:
    """The most likely offset per observation, allowing rare jumps (each costs ``jump_cost``)."""
    step = 0.1
    grid = np.arange(-60.0, 60.0 + step / 2, step)
    sigma = settings.lateness_spread_s
    floor = 0.01
    prior = -0.5 * ((grid + settings.prior_lateness_s) / (2 * settings.max_offset_s)) ** 2
    emis = np.empty((len(obs), len(grid)))
    for i, (o, t, s) in enumerate(zip(obs, t_log, shifts)):
        x = _residuals(o, t, s, drift)
        dens = (o.weights[:, None] * np.exp(-0.5 * ((grid[None, :] - x[:, None]) / sigma) ** 2)).sum(0)
        emis[i] = np.log1p(dens / (floor * sigma * np.sqrt(2 * np.pi)))
    score = prior + emis[0]
    back = np.zeros((len(obs), len(grid)), dtype=np.int32)
    for i in range(1, len(obs)):
        j = int(score.argmax())
        jump = score[j] - settings.jump_cost
        stay = score >= jump
        back[i] = np.where(stay, np.arange(len(grid)), j)
        score = np.where(stay, score, jump) + emis[i]
    path = np.empty(len(obs), dtype=np.int32)
    path[-1] = int(score.argmax())
    for i in range(len(obs) - 1, 0, -1):
        path[i - 1] = back[i, path[i]]
    return grid[path]


def _refit(obs, t_log, shifts, drift, states, settings: SyncSettings) -> ClockMap:
    seg = np.concatenate([[0], np.cumsum(np.abs(np.diff(states)) > 1e-9)])
    gate = max(2.5 * settings.lateness_spread_s, 1.5)
    y, use = np.zeros(len(obs)), np.zeros(len(obs), bool)
    for i, (o, t, s) in enumerate(zip(obs, t_log, shifts)):
        x = _residuals(o, t, s, 0.0)
        k = int(np.abs(x - (states[i] + t * drift * 1e-6)).argmin())
        y[i] = x[k]
        use[i] = abs(x[k] - states[i] - t * drift * 1e-6) < gate
    nseg = int(seg[-1]) + 1
    offsets = np.array([states[seg == k][0] for k in range(nseg)])
    d = drift * 1e-6
    w = use.astype(float)
    # drift has a prior (sd ``drift_prior_ppm``): a match's lateness noise pins it only to ~100 ppm
    ridge = settings.lateness_spread_s / (settings.drift_prior_ppm * 1e-6)
    for _ in range(6):
        cols = [np.asarray(seg == k, float) for k in range(nseg)] + [t_log]
        a = np.stack(cols, 1) * np.sqrt(w)[:, None]
        a = np.vstack([a, np.r_[np.zeros(nseg), ridge][None, :]])
        b = np.r_[y * np.sqrt(w), 0.0]
        empty = a[:, :nseg].any(0) == 0
        if empty.any():  # a segment with no inlier keeps its Viterbi offset
            a = np.vstack([a, np.eye(nseg + 1)[:nseg][empty] * 1e-3])
            b = np.r_[b, offsets[empty] * 1e-3]
        sol, *_ = np.linalg.lstsq(a, b, rcond=None)
        offsets, d = sol[:nseg], float(sol[nseg])
        r = y - offsets[seg] - d * t_log
        w = use * np.minimum(1.0, 1.345 * settings.lateness_spread_s / np.maximum(np.abs(r), 1e-9))
    r = (y - offsets[seg] - d * t_log)[use]
    spread = float(1.4826 * np.median(np.abs(r))) if len(r) >= 3 else settings.lateness_spread_s
    n = int(use.sum())
    breaks = tuple(float((t_log[i - 1] + t_log[i]) / 2) for i in range(1, len(obs)) if seg[i] != seg[i - 1])
    last = seg == nseg - 1
    n_last = int((use & last).sum())
    return ClockMap(
        drift_ppm=float(d * 1e6),
        breaks=breaks,
        offsets=tuple(float(v) for v in offsets),
        spread_s=float(max(spread, 0.05) / np.sqrt(max(n_last, 1)) + (0 if n_last else settings.max_offset_s / 2)),
        confidence=float(1.0 - np.exp(-n_last / 4.0)),
        pairs=n,
    )
