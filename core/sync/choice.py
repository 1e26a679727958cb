"""Choosing a time under an asymmetric cost: an early placement (a spoiler) costs far more than a late one."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.sync.candidates import Hypotheses
from core.sync.settings import SyncSettings


def loss(error: np.ndarray, settings: SyncSettings) -> np.ndarray:
    """Seconds off, plus ``miss_cost`` beyond ``hit_s`` and ``early_cost`` for a spoiler."""
    a = np.abs(error)
    return a + settings.miss_cost * (a > settings.hit_s) + settings.early_cost * (error < -settings.spoiler_s)


def clock_margin(dev: np.ndarray, w: np.ndarray, settings: SyncSettings) -> float:
    """How much later than the clock prediction to place an event so the expected loss is least.

    ``dev`` are weighted samples of (prediction - action): negative ones are the early risk.
    """
    grid = np.arange(-1.0, 4.0001, 0.02)
    cost = (loss(grid[:, None] + dev[None, :], settings) * w[None, :]).sum(1)
    return float(grid[cost.argmin()])


_SPREAD_STEPS = np.linspace(0.0, 1.0, 5)
"""Where in its lead spread an anchor's action may be (fractions of the spread)."""


@dataclass(frozen=True, slots=True)
class Choice:
    """The option taken: ``pick`` indexes the hypotheses' anchors, or is -1 for the clock."""

    pick: int
    t: float
    confidence: float
    early_p: float
    clock_t: float  # where the clock option was placed
    order: tuple[int, ...]  # every option (pick index or -1) by expected loss, chosen first
    why: str


def choose(h: Hypotheses, margin: float, dev: np.ndarray, w: np.ndarray, settings: SyncSettings) -> Choice:
    """The option with the least expected asymmetric loss over the posterior, and why it won."""
    # an anchor whose lead varies (a crowd's reaction) stands for a spread of action times before it
    spread = h.lead_spread[:, None] * _SPREAD_STEPS[None, :]
    truth = np.concatenate([(h.times[:, None] - spread).ravel(), h.predicted - dev])
    steps = len(_SPREAD_STEPS)
    mass = np.concatenate([np.repeat(h.probs[:-1] / steps, steps), h.probs[-1] * w / w.sum()])
    # a clock compromise is never earlier than an anchor that is more likely than not: that anchor's
    # time is already the latest the action can plausibly be
    likely = h.times[h.probs[:-1] >= 0.5]
    clock = max([h.predicted + margin, *likely])
    options = np.concatenate([h.times, [clock]])
    err = options[:, None] - truth[None, :]
    expected = (loss(err, settings) * mass[None, :]).sum(1)
    ranked = np.argsort(expected, kind="stable")
    best = int(ranked[0])
    e = err[best]
    confidence = float(mass[np.abs(e) <= 1.0].sum())
    early_p = float(mass[e < -settings.spoiler_s].sum())
    k = len(h.times)
    order = tuple(int(i) if i < k else -1 for i in ranked)
    return Choice(order[0], float(options[best]), confidence, early_p, float(clock), order,
                  _why(h, best, clock - h.predicted, settings))


def _why(h: Hypotheses, best: int, margin: float, settings: SyncSettings) -> str:
    k = len(h.times)
    probs = h.probs.copy()
    probs[best] = -1.0
    rival = int(np.argmax(probs)) if len(probs) > 1 else best
    if best == k:
        base = (f"clock map + typical lateness puts it at {h.predicted:.2f} s; "
                f"placed {margin:+.2f} s from there so it is not early")
        if k == 0:
            return f"no anchor fits; {base}"
        if h.probs[-1] < 0.5:
            spots = ", ".join(f"{t:.2f} s (p={p:.2f})" for t, p in zip(h.times, h.probs) if p >= 0.05)
            return f"{base}; the best compromise among the likely anchor time(s) {spots}"
        return f"no anchor is likely enough (none-detected p={h.probs[-1]:.2f}); {base}"
    chosen = (f"anchor at {h.times[best]:.2f} s (p={h.probs[best]:.2f}, "
              f"{h.predicted - h.times[best]:+.2f} s from the clock prediction)")
    rival_t = h.times[rival] if rival < k else h.predicted
    if rival != best and rival_t < h.times[best] - settings.spoiler_s and h.probs[rival] >= 0.2 * h.probs[best]:
        return (f"{chosen}; the later choice is taken over the earlier {rival_t:.2f} s (p={h.probs[rival]:.2f}) "
                f"because an early placement costs {settings.early_cost:.0f} s extra and the evidence does not "
                f"clearly favour it")
    if rival != best and h.probs[rival] > h.probs[best]:
        return f"{chosen}; the likelier {rival_t:.2f} s (p={h.probs[rival]:.2f}) would risk being early"
    return f"most likely {chosen}"
