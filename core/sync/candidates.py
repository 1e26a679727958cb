"""The anchors a logged event could belong to, and how likely each one is (with "none of them")."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.model import Anchor
from core.sync.lateness import Timing
from core.sync.roles import CARD_TYPES, PATTERN_TYPES, anchor_kind
from core.sync.settings import SyncSettings


@dataclass(frozen=True, slots=True)
class AnchorIndex:
    """Anchors of one kind in time order, with the action time each one stands for (seconds)."""

    anchors: tuple[Anchor, ...]
    times: np.ndarray
    weights: np.ndarray
    first_blast: np.ndarray  # no other anchor of the kind shortly before
    clutter_per_s: float  # anchors of the kind that belong to no logged event, per second

    @staticmethod
    def build(anchors: list[Anchor], rate: int, lead_s: float, pattern_gap_s: float,
              clutter_per_s: float) -> AnchorIndex:
        """Index ``anchors``; an anchor's action time is its onset minus ``lead_s``; its weight is its
        confidence."""
        anchors = sorted(anchors, key=lambda a: a.start)
        starts = np.array([a.start / rate for a in anchors])
        ends = np.array([a.end / rate for a in anchors])
        gaps = starts[1:] - np.maximum.accumulate(ends)[:-1] if len(anchors) else np.zeros(0)
        first = np.concatenate([[True], gaps > pattern_gap_s]) if len(anchors) else np.zeros(0, bool)
        weights = np.clip([a.confidence for a in anchors], 0.05, 1.0) if anchors else np.zeros(0)
        return AnchorIndex(tuple(anchors), starts - lead_s, np.asarray(weights, float), first, clutter_per_s)

    def between(self, lo: float, hi: float, first_only: bool = False) -> np.ndarray:
        """Indices of anchors whose action time lies in [lo, hi]."""
        i0, i1 = np.searchsorted(self.times, [lo, hi + 1e-9])
        idx = np.arange(i0, i1)
        return idx[self.first_blast[idx]] if first_only else idx


@dataclass(frozen=True, slots=True)
class Hypotheses:
    """Posterior over 'option i is the action' (``probs[:-1]``) and 'no detected anchor' (``probs[-1]``).

    The first ``len(picks)`` options are the anchors ``picks`` of ``index``; a :func:`mixture` appends the
    options of other readings of the entry after them (``anchors`` holds every option's anchor).
    """

    index: AnchorIndex | None
    picks: np.ndarray  # indices into index.anchors
    anchors: tuple[Anchor, ...]  # per option
    weights: np.ndarray  # per option: its anchor's weight in its index
    times: np.ndarray  # action time per option (seconds)
    lead_spread: np.ndarray  # per option: the action may be up to this much before its time
    probs: np.ndarray  # len(times) + 1
    evidence: float  # how much likelier the anchors near make this reading than clutter alone (the normaliser)
    predicted: float  # clock-based action time
    sigma: float


def anchor_for(event_type: str, whistles: AnchorIndex, surges: AnchorIndex,
               roars: AnchorIndex | None = None) -> AnchorIndex | None:
    """The anchor index an event of this type is placed on, or None; a goal stands on a roar when given."""
    if event_type in CARD_TYPES:
        return whistles
    if event_type == "goal" and roars is not None:
        return roars
    kind = anchor_kind(event_type)
    return whistles if kind == "whistle" else surges if kind == "crowd_surge" else None


def hypotheses(event_type: str, predicted: float, index: AnchorIndex | None, timing: Timing,
               settings: SyncSettings, map_sd: float = 0.0, keep: np.ndarray | None = None) -> Hypotheses:
    """Weigh every anchor near the clock-based prediction against the chance that none was detected.

    An anchor's weight is the logger's lateness density at its deviation from the prediction times the
    anchor's own weight (its confidence, or how much likelier its features are for the anchor an event
    stands on than for clutter), against the index's background of unrelated anchors; ``keep``
    scales each anchor by the chance that no other logged event owns it.
    """
    sigma = float(np.hypot(timing.spread_s, map_sd))
    if index is None:
        return Hypotheses(None, np.zeros(0, int), (), np.zeros(0), np.zeros(0), np.zeros(0), np.ones(1), 1.0,
                          predicted, sigma)
    late_side = max(10.0 * sigma, 5.0 * settings.late_tail_s)  # a very late entry's anchor is far before the prediction
    picks = index.between(predicted - late_side, predicted + 6.0, first_only=event_type in PATTERN_TYPES)
    times = index.times[picks]
    dens = timing.density(predicted - times, map_sd)
    p_det = {"goal": settings.surge_detect_p, "shot": settings.shot_surge_p}.get(event_type,
                                                                                 settings.whistle_detect_p)
    like = p_det * index.weights[picks] * dens / index.clutter_per_s
    if keep is not None:
        like = like * keep[picks]
    probs = np.concatenate([like, [1.0 - p_det]])
    spread = {"goal": settings.goal_lead_spread_s, "shot": settings.shot_lead_spread_s}.get(event_type, 0.0)
    evidence = float(probs.sum())
    return Hypotheses(index, picks, tuple(index.anchors[j] for j in picks), index.weights[picks], times,
                      np.full(len(picks), spread), probs / evidence, evidence, predicted, sigma)


def mixture(readings: Sequence[tuple[Hypotheses, float]]) -> Hypotheses:
    """One entry read several ways (as its logged type, or as a mistyped entry of another type), each with
    its prior share: every reading's options weighed by share times its evidence. 'No detected anchor'
    is placed by the first reading's clock."""
    first = readings[0][0]
    w = [share * h.evidence for h, share in readings]
    none = sum(h.probs[-1] * wk for (h, _), wk in zip(readings, w))
    probs = np.concatenate([h.probs[:-1] * wk for (h, _), wk in zip(readings, w)] + [[none]])
    return Hypotheses(first.index, first.picks, sum((h.anchors for h, _ in readings), ()),
                      np.concatenate([h.weights for h, _ in readings]),
                      np.concatenate([h.times for h, _ in readings]),
                      np.concatenate([h.lead_spread for h, _ in readings]), probs / sum(w), float(sum(w)),
                      first.predicted, first.sigma)
