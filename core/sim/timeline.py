"""The match timeline: every real action with its exact time, and the sounds cued by them.

Counts follow real football per 90 minutes (fouls 22-28, offsides 3-5, about 2.5 goals, corners 8-12,
throw-ins 35-45, goal kicks 12-18, 3-4 cards, 6-10 substitutions, 20-26 shots, a penalty in about one
match in four) and scale with the match length. Times are sample indices at SIM_RATE. A whistle-anchored
action's sample is its whistle's onset; a goal's is the ball crossing the line (its roar starts 0.2-1 s
later); other actions sit at the moment itself.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np

from core.sim.onsets import SIM_RATE

WHISTLED = frozenset({"kickoff", "foul", "offside", "penalty_awarded", "half_time", "full_time"})
"""Types whose truth time is a referee whistle's onset."""

PER_90: dict[str, tuple[int, int]] = {
    "foul": (22, 28), "offside": (3, 5), "corner": (8, 12), "throw_in": (35, 45), "goal_kick": (12, 18),
    "card": (3, 4), "substitution": (6, 10), "shot": (20, 26),
}
"""Inclusive ranges drawn uniformly per 90 minutes (goals and penalties are drawn separately)."""

GOALS_PER_90 = ((0, 1, 2, 3, 4, 5), (0.05, 0.15, 0.30, 0.30, 0.15, 0.05))
"""Goals per 90 minutes and their probabilities (mean 2.5)."""

PENALTY_CHANCE = 0.25
RED_CARD_SHARE = 0.1


@dataclass(frozen=True, slots=True)
class Action:
    """One real action: ``n`` is its truth sample at SIM_RATE."""

    id: str
    type: str
    n: int
    team: str


@dataclass(frozen=True, slots=True)
class Cue:
    """A sound the timeline asks for: a referee ``blast`` (``long`` or ``short``), a goal ``roar``, an ``ooh``."""

    kind: str
    n: int
    event_id: str
    style: str = ""


@dataclass(frozen=True, slots=True)
class Timeline:
    """Every action in time order and every cued sound; ``samples`` is the match length."""

    samples: int
    actions: tuple[Action, ...]
    cues: tuple[Cue, ...]
    halves: tuple[tuple[int, int], ...]


@dataclass
class _Planner:
    """Places plays in free time; each play reserves an interval so whistles never overlap."""

    rng: np.random.Generator
    halves: list[tuple[float, float]]
    taken: list[tuple[float, float]] = field(default_factory=list)
    actions: list[tuple[float, str, str]] = field(default_factory=list)
    cues: list[tuple[float, str, int, str]] = field(default_factory=list)

    def free(self, lo: float, hi: float) -> bool:
        i = bisect.bisect_left(self.taken, (lo, lo))
        return all(not (a < hi and lo < b) for a, b in self.taken[max(0, i - 1): i + 1])

    def slot(self, before: float, after: float, half: int | None = None) -> float | None:
        """A time whose interval [t - before, t + after] is free, drawn uniformly in a half; None if full."""
        for _ in range(200):
            h = int(self.rng.integers(len(self.halves))) if half is None else half
            lo, hi = self.halves[h]
            lo, hi = lo + before + 2.0, hi - after - 2.0
            if hi <= lo:
                continue
            t = float(self.rng.uniform(lo, hi))
            if self.free(t - before, t + after):
                bisect.insort(self.taken, (t - before, t + after))
                return t
        return None

    def act(self, t: float, kind: str, team: str) -> int:
        self.actions.append((t, kind, team))
        return len(self.actions) - 1

    def cue(self, t: float, kind: str, action: int, style: str = "") -> None:
        self.cues.append((t, kind, action, style))


def scaled_count(rng: np.random.Generator, low: int, high: int, scale: float) -> int:
    """A count drawn uniformly in [low, high] per 90 minutes, scaled and randomly rounded."""
    value = float(rng.integers(low, high + 1)) * scale
    return int(np.floor(value + rng.uniform()))


def build_timeline(rng: np.random.Generator, minutes: float) -> Timeline:
    """A whole match of ``minutes`` (pre-match, two halves, a short break, post-match)."""
    total = minutes * 60.0
    scale = minutes / 90.0
    pre, brk, post = min(20.0, max(3.0, 0.02 * total)), min(60.0, max(4.0, 0.02 * total)), min(15.0, max(3.0, 0.02 * total))
    half = (total - pre - brk - post) / 2.0
    k1, ht = pre, pre + half
    k2, ft = ht + brk, ht + brk + half
    p = _Planner(rng, [(k1, ht), (k2, ft)])
    p.taken = [(k1 - 1.0, k1 + 8.0), (ht - 3.0, ht + 6.0), (k2 - 1.0, k2 + 8.0), (ft - 3.0, ft + 8.0)]

    def team() -> str:
        return ("home", "away")[int(rng.integers(2))]

    for t, kind in ((k1, "kickoff"), (k2, "kickoff")):
        p.cue(t, "blast", p.act(t, kind, team()), "long")
    p.cue(ht, "blast", p.act(ht, "half_time", ""), "short")
    p.cue(ft, "blast", p.act(ft, "full_time", ""), "short")

    goals = int(rng.choice(GOALS_PER_90[0], p=GOALS_PER_90[1]) * scale + rng.uniform())
    penalty = rng.uniform() < PENALTY_CHANCE * scale
    counts = {k: scaled_count(rng, lo, hi, scale) for k, (lo, hi) in PER_90.items()}
    if penalty:
        goals -= _penalty(p, team(), rng.uniform() < 0.75 and goals > 0)
    for _ in range(goals):
        _goal(p, team())
    cards = counts.pop("card")
    for i in range(counts.pop("foul")):
        _foul(p, team(), card=i < cards)
    for _ in range(counts.pop("offside")):
        _offside(p, team())
    shots = counts.pop("shot") - goals - int(penalty)
    for _ in range(max(0, shots)):
        _shot(p, team())
    for _ in range(counts.pop("substitution")):
        t = p.slot(2.0, 2.0, half=int(rng.uniform() < 0.8))
        if t is not None:
            p.act(t, "substitution", team())
    for kind, n in counts.items():
        for _ in range(n):
            t = p.slot(2.0, 2.0)
            if t is not None:
                p.act(t, kind, team())
    return _finish(p, int(round(total * SIM_RATE)))


def _goal(p: _Planner, team: str) -> None:
    ko_delay = float(p.rng.uniform(40.0, 80.0))
    t = p.slot(8.0, ko_delay + 8.0)
    if t is None:
        return
    _score(p, t, team, ko_delay, shot_lead=float(p.rng.uniform(0.3, 1.0)))


def _score(p: _Planner, t: float, team: str, ko_delay: float, shot_lead: float) -> None:
    p.act(t - shot_lead, "shot", team)
    goal = p.act(t, "goal", team)
    p.cue(t + float(p.rng.uniform(0.2, 1.0)), "roar", goal)
    restart = "away" if team == "home" else "home"
    p.cue(t + ko_delay, "blast", p.act(t + ko_delay, "kickoff", restart), "long")


def _foul(p: _Planner, team: str, card: bool) -> None:
    card_delay = float(p.rng.uniform(6.0, 20.0))
    kick_delay = (card_delay if card else 0.0) + float(p.rng.uniform(6.0, 18.0))
    t = p.slot(3.0, kick_delay + 3.0)
    if t is None:
        return
    p.cue(t, "blast", p.act(t, "foul", team), "short")
    if card:
        p.act(t + card_delay, "red_card" if p.rng.uniform() < RED_CARD_SHARE else "yellow_card", team)
    p.act(t + kick_delay, "free_kick", "away" if team == "home" else "home")


def _offside(p: _Planner, team: str) -> None:
    kick_delay = float(p.rng.uniform(8.0, 20.0))
    t = p.slot(3.0, kick_delay + 3.0)
    if t is not None:
        p.cue(t, "blast", p.act(t, "offside", team), "short")
        p.act(t + kick_delay, "free_kick", "away" if team == "home" else "home")


def _penalty(p: _Planner, team: str, scored: bool) -> int:
    """A penalty: whistle, the kick 60-100 s later, then a goal (with its roar and kickoff) or an ooh."""
    kick = float(p.rng.uniform(60.0, 100.0))
    ko_delay = float(p.rng.uniform(40.0, 80.0))
    t = p.slot(3.0, kick + ko_delay + 8.0)
    if t is None:
        return 0
    p.cue(t, "blast", p.act(t, "penalty_awarded", team), "long")
    if scored:
        _score(p, t + kick, team, ko_delay, shot_lead=float(p.rng.uniform(0.3, 0.6)))
        return 1
    p.cue(t + kick + float(p.rng.uniform(0.3, 0.8)), "ooh", p.act(t + kick, "shot", team))
    return 0


def _shot(p: _Planner, team: str) -> None:
    t = p.slot(2.0, 4.0)
    if t is None:
        return
    shot = p.act(t, "shot", team)
    if p.rng.uniform() < 0.4:
        p.cue(t + float(p.rng.uniform(0.3, 1.0)), "ooh", shot)


def _finish(p: _Planner, samples: int) -> Timeline:
    order = sorted(range(len(p.actions)), key=lambda i: (p.actions[i][0], p.actions[i][1]))
    ids = {i: f"ev-{rank + 1:04d}" for rank, i in enumerate(order)}
    actions = tuple(Action(ids[i], p.actions[i][1], int(round(p.actions[i][0] * SIM_RATE)), p.actions[i][2])
                    for i in order)
    cues = tuple(sorted((Cue(kind, int(round(t * SIM_RATE)), ids[a], style) for t, kind, a, style in p.cues),
                        key=lambda c: (c.n, c.kind)))
    halves = tuple((int(round(a * SIM_RATE)), int(round(b * SIM_RATE))) for a, b in p.halves)
    return Timeline(samples, actions, cues, halves)
