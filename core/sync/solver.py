"""One pass over everything known so far: clock map, lateness, then a proposal per logged event.

Offline sync and the causal engine both call :func:`solve`; the engine simply calls it again as audio
and events arrive, so its final answers are the offline answers.
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from core.model import Anchor, LoggedEvent
from core.sync.candidates import AnchorIndex, Hypotheses, anchor_for, hypotheses, mixture
from core.sync.choice import Choice, choose, clock_margin
from core.sync.clock_map import ClockMap, Observation, fit_clock_map
from core.sync.lateness import LatenessModel, learn_lateness
from core.sync.proposal import Candidate, Proposal
from core.sync.referee import features, learn_referee
from core.sync.roles import CARD_TYPES, CROWD_TYPES, MAP_TYPES, PATTERN_TYPES, WHISTLE_TYPES
from core.sync.settings import SyncSettings

MAP_WINDOW_S = 60.0
"""Anchors this far either side of a logged time may pair with it when fitting the clock map."""


MISTYPE_WINDOW_S = 30.0
"""Anchors a mistyped entry may stand on (a referee's whistle, a goal's roar) are checked for other entries'
claims this far either side of its prediction."""

CAUSE_WINDOW_S = 90.0
"""A card's foul (a free kick's foul or offside) is the last whistled one logged at most this long before it."""

CAUSED_TYPES = CARD_TYPES | {"free_kick"}

FOUL_TYPES = frozenset({"foul", "penalty_awarded"})

RESTART_CAUSES = FOUL_TYPES | {"offside"}
"""What a free kick restarts play after (a card's cause is one of FOUL_TYPES)."""

DUPLICATE_WINDOW_S = 8.0
"""Two entries of one type this close on the logger's clock may be one action logged twice."""

SHARED_ROAR = frozenset({"goal", "shot"})
"""A goal and the shot that scored it are heard as one roar."""


@dataclass(frozen=True, slots=True)
class Solution:
    """The clock map, the lateness model and a proposal (revision 0) per logged event id."""

    clock_map: ClockMap
    lateness: LatenessModel
    proposals: dict[str, Proposal]


def solve(anchors: Sequence[Anchor], events: Sequence[LoggedEvent], rate: int,
          settings: SyncSettings) -> Solution:
    """Estimate the clock map and lateness from all pairs, then place every event."""
    whistles = AnchorIndex.build([a for a in anchors if a.kind == "whistle"], rate, 0.0, settings.pattern_gap_s,
                                 settings.clutter_per_s)
    surges = AnchorIndex.build([a for a in anchors if a.kind == "crowd_surge"], rate,
                               settings.goal_surge_lead_s, settings.pattern_gap_s, settings.clutter_per_s)
    roars = AnchorIndex.build([a for a in anchors if a.kind == "crowd_surge"
                               and a.confidence >= settings.roar_min_confidence], rate,
                              settings.goal_surge_lead_s, settings.pattern_gap_s, settings.roar_clutter_per_s)
    obs = _observations(events, whistles, surges, roars, MAP_TYPES)
    learn_obs = obs + _observations(events, whistles, surges, roars, CROWD_TYPES - MAP_TYPES)
    lateness = LatenessModel()
    cmap = fit_clock_map(obs, lateness.shifts, settings)
    for _ in range(2):
        lateness = learn_lateness(learn_obs, cmap, lateness, settings)
        cmap = fit_clock_map(obs, lateness.shifts, settings)
    types = {ev.type for ev in events} | {"goal"}
    timings = {t: lateness.timing(t, settings) for t in types}
    shifts = {t: lateness.shift_for(t) for t in types}
    margins = {t: clock_margin(tm.dev, tm.w, settings) for t, tm in timings.items()}

    def at(ev: LoggedEvent, as_type: str) -> float:
        return cmap.media_time(ev.t) - shifts[as_type]

    # goal entries stand on roars weighed as a goal's from the first pass on: the roar a goal entry claims
    # is claimed as surely as that entry stands on it, and no other entry reads it as its own goal
    goal_roars = _by_goal_likeness(roars, [at(ev, "kickoff") for ev in events if ev.type == "kickoff"], settings)

    def weigh(ev: LoggedEvent) -> Hypotheses:
        """First pass: the entry as its logged type, its whistles as detected."""
        index = None if ev.type in CARD_TYPES else anchor_for(ev.type, whistles, surges, goal_roars)
        return hypotheses(ev.type, at(ev, ev.type), index, timings[ev.type], settings, cmap.spread_s)

    def reweigh(ev: LoggedEvent, claims: dict, referee: AnchorIndex) -> Hypotheses:
        """Second pass: anchors other entries claim count less, whistles by how much they sound like the
        referee; and the entry may have been logged with the wrong type."""
        t = at(ev, ev.type)
        index = None if ev.type in CARD_TYPES else anchor_for(ev.type, referee, surges, goal_roars)
        if index is None:  # no anchor of its own: a referee's whistle nobody claims may mean a mistyped entry
            near = referee.between(t - MISTYPE_WINDOW_S, t + MISTYPE_WINDOW_S)
            m = settings.mistyped_share
            readings = [(hypotheses(ev.type, t, None, timings[ev.type], settings, cmap.spread_s), 1.0 - m),
                        (hypotheses(ev.type, t, referee, timings[ev.type], settings, cmap.spread_s,
                                    _unclaimed(ev, referee, near, claims, _may_share)), m)]
        else:
            readings = [(hypotheses(ev.type, t, index, timings[ev.type], settings, cmap.spread_s,
                                    _unclaimed(ev, index, first[ev.id].picks, claims, _may_share)), 1.0)]
        if ev.type == "goal":
            return mixture(readings)
        # a goal's roar that no goal entry claims (not even as the one a shot scored), with its kickoff
        # after it, may be this entry's
        g = settings.mistyped_share * settings.goal_share
        tg = at(ev, "goal")
        near = goal_roars.between(tg - MISTYPE_WINDOW_S, tg + MISTYPE_WINDOW_S)
        as_goal = hypotheses("goal", tg, goal_roars, timings["goal"], settings, cmap.spread_s,
                             _unclaimed(ev, goal_roars, near, claims, _never_shared))
        return mixture([(h, share * (1.0 - g)) for h, share in readings] + [(as_goal, g)])

    first = {ev.id: weigh(ev) for ev in events}
    claims: dict[tuple[int, int], list[tuple[LoggedEvent, float]]] = {}
    claimed = np.zeros(len(whistles.anchors))
    for ev in events:
        h = first[ev.id]
        if h.index is whistles:
            np.add.at(claimed, *(_runs(whistles, h.picks, h.probs[:-1]) if ev.type in PATTERN_TYPES
                                 else (h.picks, h.probs[:-1])))
        for k, j in enumerate(h.picks):
            if h.probs[k] > 0.05:
                claims.setdefault((id(h.index.anchors), int(j)), []).append((ev, float(h.probs[k])))
    referee = _by_referee_likeness(whistles, claimed, rate, settings)
    proposals = {}
    for ev in events:
        h = reweigh(ev, claims, referee)
        margin, tm = margins[ev.type], timings[ev.type]
        proposals[ev.id] = _proposal(ev, h, choose(h, margin, tm.dev, tm.w, settings), cmap, rate, settings)
    causes = Causes(events, proposals)
    for ev in events:
        if ev.type in CAUSED_TYPES:
            proposals[ev.id] = _after_its_cause(ev, causes, proposals, rate, settings)
    return Solution(cmap, lateness, proposals)


class Causes:
    """The whistled fouls (and offsides) among the logged events, sorted by logged time, so each card or
    free kick finds its cause by bisection instead of a scan of every event."""

    def __init__(self, events: Sequence[LoggedEvent], proposals: dict[str, Proposal]) -> None:
        whistled = sorted((e for e in events if e.type in RESTART_CAUSES and e.id in proposals
                           and proposals[e.id].basis == "whistle"), key=lambda e: e.t)  # stable: ties keep log order
        self.proposals = proposals
        self._fouls = [e for e in whistled if e.type in FOUL_TYPES]
        self._either = whistled

    def floor(self, ev: LoggedEvent, rate: int, settings: SyncSettings) -> tuple[int, LoggedEvent, Anchor] | None:
        """The earliest sample a card or free kick may be at: its foul's (or offside's) whistle plus the
        least delay before a card is shown or play restarts; with the cause and its whistle. None when
        unknown."""
        if ev.type not in CAUSED_TYPES:
            return None
        card = ev.type in CARD_TYPES
        causes = self._fouls if card else self._either
        delay = settings.card_min_delay_s if card else settings.restart_min_delay_s
        k = bisect_right(causes, ev.t, key=lambda e: e.t) - 1
        if k < 0 or causes[k].t < ev.t - CAUSE_WINDOW_S:
            return None
        whistle = self.proposals[causes[k].id].anchor
        return whistle.start + int(delay * rate), causes[k], whistle


def _after_its_cause(ev: LoggedEvent, causes: Causes, proposals: dict[str, Proposal], rate: int,
                     settings: SyncSettings) -> Proposal:
    """A card or free kick comes some seconds after its foul's (or offside's) whistle: never place it before."""
    own = proposals[ev.id]
    found = causes.floor(ev, rate, settings)
    if found is None or own.n >= found[0]:
        return own
    floor, foul, whistle = found
    why = (f"at least {(floor - whistle.start) / rate:.0f} s after its {foul.type}'s whistle at "
           f"{whistle.start / rate:.2f} s (the clock alone said {own.n / rate:.2f} s)")
    return replace(own, n=floor, basis="whistle", anchor=whistle, why=why, early_risk=False)


def _by_referee_likeness(whistles: AnchorIndex, claimed: np.ndarray, rate: int,
                         settings: SyncSettings) -> AnchorIndex:
    """The whistles weighed by how much likelier their features are for the referee than for clutter
    (learned from which whistles the logged events claim), against the match's clutter rate."""
    if not whistles.anchors:
        return whistles
    span_s = (max(a.end for a in whistles.anchors) - whistles.anchors[0].start) / rate
    model = learn_referee(features(whistles.anchors, rate), claimed, span_s, settings.referee_prior_count,
                          settings.clutter_per_s)
    return replace(whistles, weights=model.ratio, clutter_per_s=model.clutter_per_s)


def _by_goal_likeness(roars: AnchorIndex, kickoffs: list[float], settings: SyncSettings) -> AnchorIndex:
    """The roars weighed up when they sound like a goal's (the crowd detector scores a goal's roar
    ``goal_roar_confidence`` or more; horns, chants and the PA seldom reach it) and when a logged kickoff
    follows them as one follows a goal: play restarts ``goal_kickoff_min_s``-``goal_kickoff_max_s`` after
    it. A kickoff vouches for one roar, the strongest in that span before it (not for a horn or a chant
    beside the goal's roar)."""
    followed = np.zeros(len(roars.anchors), bool)
    for k in kickoffs:
        span = roars.between(k - settings.goal_kickoff_max_s, k - settings.goal_kickoff_min_s)
        if len(span):
            followed[span[np.argmax(roars.weights[span])]] = True
    loud = np.array([a.confidence >= settings.goal_roar_confidence for a in roars.anchors], bool)
    return replace(roars, weights=roars.weights * np.where(loud, settings.goal_roar_lr, 1.0)
                   * np.where(followed, settings.goal_kickoff_lr, 1.0))


def _runs(whistles: AnchorIndex, picks: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each pick (the first blast of a half- or full-time pattern) widened to the whole run of blasts it
    starts, with its probability: every blast of a pattern is the referee's."""
    first = np.flatnonzero(whistles.first_blast)
    ends = np.r_[first[1:], len(whistles.anchors)]
    runs = [np.arange(j, ends[np.searchsorted(first, j)]) for j in picks]
    if not runs:
        return picks, probs
    return np.concatenate(runs), np.concatenate([np.full(len(r), p) for r, p in zip(runs, probs)])


def _unclaimed(ev: LoggedEvent, index: AnchorIndex, picks: np.ndarray, claims: dict,
               may_share: Callable[[LoggedEvent, LoggedEvent], bool]) -> np.ndarray:
    """Per anchor, the chance that no other logged event owns it (but those ``ev`` may share it with)."""
    keep = np.ones(len(index.anchors))
    for j in picks:
        for other, p in claims.get((id(index.anchors), int(j)), ()):
            if other.id != ev.id and not may_share(ev, other):
                keep[j] *= 1.0 - p
    return keep


def _never_shared(a: LoggedEvent, b: LoggedEvent) -> bool:
    """A mistyped entry is not also a duplicate, nor a goal's shot (a goal's roar claimed by a goal entry
    is not another entry's goal)."""
    return False


def _may_share(a: LoggedEvent, b: LoggedEvent) -> bool:
    """Two entries that may stand on one anchor: one action logged twice, or a goal and its shot."""
    close = abs(a.t - b.t) < DUPLICATE_WINDOW_S
    return close and (a.type == b.type or {a.type, b.type} == SHARED_ROAR)


def _observations(events: Sequence[LoggedEvent], whistles: AnchorIndex, surges: AnchorIndex,
                  roars: AnchorIndex, types: frozenset[str]) -> list[Observation]:
    obs = []
    for ev in events:
        if ev.type not in types:
            continue
        index = anchor_for(ev.type, whistles, surges, roars)
        idx = index.between(ev.t - MAP_WINDOW_S, ev.t + MAP_WINDOW_S, first_only=ev.type in PATTERN_TYPES)
        obs.append(Observation(ev.t, ev.type, index.times[idx], index.weights[idx]))
    return obs


def _proposal(ev: LoggedEvent, h: Hypotheses, c: Choice, cmap: ClockMap, rate: int,
              settings: SyncSettings) -> Proposal:
    alternatives = _alternatives(h, c, cmap, rate)
    chosen = alternatives[0]
    basis = chosen.basis if chosen.basis != "clock" or cmap.pairs else "none"
    why = c.why
    if basis == "whistle" and ev.type not in WHISTLE_TYPES:
        why = f"logged as {ev.type}, but a referee's whistle no other entry claims fits it (a mistyped entry?): {why}"
    if basis == "crowd" and ev.type not in CROWD_TYPES:
        why = f"logged as {ev.type}, but a goal's roar no goal entry claims fits it (a mistyped goal?): {why}"
    return Proposal(
        event_id=ev.id, type=ev.type, t_logged=ev.t, n=int(round(c.t * rate)), confidence=c.confidence,
        basis=basis, anchor=chosen.anchor, alternatives=alternatives, why=why,
        early_risk=c.early_p > settings.early_risk_p,
    )


def _alternatives(h: Hypotheses, c: Choice, cmap: ClockMap, rate: int) -> tuple[Candidate, ...]:
    """The five best options by expected loss, each anchor once: where two readings of the entry stand on
    one anchor (a shot, or the goal it may have been), their probabilities add up."""
    same: dict[tuple[str, int] | None, list[int]] = {}
    for i in c.order:
        same.setdefault(None if i < 0 else (h.anchors[i].kind, h.anchors[i].start), []).append(i)
    return tuple(replace(_candidate(h, group[0], cmap, c.clock_t - h.predicted, rate),
                         score=float(h.probs[group].sum())) for group in list(same.values())[:5])


def _candidate(h: Hypotheses, i: int, cmap: ClockMap, margin: float, rate: int) -> Candidate:
    if i < 0:
        return Candidate(int(round((h.predicted + margin) * rate)), "clock", float(h.probs[-1]), None,
                         f"clock map ({cmap.offset_s:+.2f} s, {cmap.drift_ppm:+.0f} ppm), typical lateness, "
                         f"{margin:+.2f} s safety margin")
    anchor = h.anchors[i]
    basis = "whistle" if anchor.kind == "whistle" else "crowd"
    sound = (f"; sounds {h.weights[i]:.2g}x as likely the referee's as a stray whistle"
             if basis == "whistle" else "")
    return Candidate(int(round(h.times[i] * rate)), basis, float(h.probs[i]), anchor,
                     f"{basis} {h.predicted - h.times[i]:+.2f} s from the clock prediction{sound}")
