"""Synthetic matches for the sync engine's tests: anchors as a detector would report them and a noisy log.

Only the sync engine's tests use this; it stands in for the simulator + detectors so the estimator
can be tested on its own, with every mistake known.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core import ANALYSIS_RATE
from core.model import Anchor, LoggedEvent

CLOCK_TYPES = ("throw_in", "goal_kick", "corner", "free_kick", "substitution", "shot")


@dataclass
class SyntheticMatch:
    anchors: list[Anchor]
    events: list[LoggedEvent]
    truth: dict[str, tuple[str, float]]  # event id -> (true type, true media seconds)
    offset: float
    drift_ppm: float
    typed_at: dict[str, float]  # event id -> media time the logger typed it (for causal replays)



def surge(onset: float, length: float, confidence: float, rise: float, gain_lu: float,
          rate: int = ANALYSIS_RATE) -> Anchor:
    """A crowd-surge anchor at ``onset`` seconds, ``length`` long, peaking ``rise`` seconds in."""
    return Anchor("crowd_surge", int(onset * rate), int((onset + length) * rate), confidence,
                  peak=int((onset + rise) * rate), gain_lu=gain_lu)

def make_match(seed: int, minutes: float = 90.0, jump_at: float | None = None, jump_s: float = 0.0,
               spurious_whistles: int = 10, missed_whistle_p: float = 0.02, busy: float = 1.0,
               rate: int = ANALYSIS_RATE) -> SyntheticMatch:
    """A match with whistles, crowd surges and a logger with offset, drift, lateness and mistakes.

    ``busy`` scales how many actions happen; ``jump_s`` is added to the logger's clock offset for
    everything typed after media time ``jump_at``.
    """
    rng = np.random.default_rng(seed)
    dur = minutes * 60.0
    scale = minutes / 90.0
    actions: list[tuple[str, float]] = [("kickoff", 5.0)]
    half = dur / 2
    actions += [("half_time", half), ("kickoff", half + 60.0), ("full_time", dur - 10.0)]
    for etype, count in (("foul", 25), ("offside", 4), ("throw_in", 40), ("goal_kick", 15), ("corner", 10),
                         ("substitution", 8), ("shot", 10), ("goal", 3)):
        for _ in range(rng.poisson(count * scale * busy)):
            actions.append((etype, float(rng.uniform(20.0, dur - 40.0))))
    for etype, t in list(actions):
        if etype == "foul" and rng.random() < 0.4:
            actions.append(("free_kick", t + rng.uniform(8, 20)))
        if etype == "foul" and rng.random() < 0.12:
            actions.append(("yellow_card", t + rng.uniform(5, 15)))
        if etype == "goal":
            actions.append(("kickoff", t + rng.uniform(45, 90)))
    actions.sort(key=lambda a: a[1])
    # keep whistle actions apart from each other a little, as real play does
    whistles, surges = [], []

    def whistle(t: float, length: float = 0.5) -> None:
        if rng.random() < missed_whistle_p:
            return
        t0 = t + rng.normal(0, 0.01)
        whistles.append(Anchor("whistle", int(t0 * rate), int((t0 + length) * rate), float(rng.uniform(0.6, 1.0)),
                               (2800.0,)))

    for etype, t in actions:
        if etype in ("kickoff", "foul", "offside"):
            whistle(t)
        elif etype in ("half_time", "full_time"):
            for k in range(3):
                whistle(t + 1.2 * k, 0.7 if k < 2 else 1.5)
        elif etype == "goal":
            onset = t + rng.uniform(0.3, 1.0)
            surges.append(surge(onset, 8, 0.9, 2, 9.0, rate))
        elif etype == "shot" and rng.random() < 0.5:
            onset = t + rng.uniform(0.3, 1.0)
            surges.append(surge(onset, 3, 0.6, 1, 5.0, rate))
    for _ in range(spurious_whistles):
        t = rng.uniform(0, dur)
        whistles.append(Anchor("whistle", int(t * rate), int((t + 0.4) * rate), float(rng.uniform(0.3, 0.8)), (3300.0,)))
    for _ in range(2):
        t = rng.uniform(0, dur)
        surges.append(surge(t, 4, 0.5, 1, 4.0, rate))
    anchors = sorted(whistles + surges, key=lambda a: a.start)

    offset = float(rng.uniform(-8, 8))
    drift = float(rng.uniform(-150, 150))
    types = sorted({etype for etype, _ in actions})
    medians = {etype: float(rng.uniform(1.5, 4.0)) for etype in types}
    events, truth, typed_at = [], {}, {}
    for i, (etype, t) in enumerate(actions):
        if rng.random() < 0.02:
            continue
        late = medians[etype] * float(np.exp(rng.normal(0, 0.2)))
        if rng.random() < 0.03:
            late = -float(rng.uniform(0.3, 2.0))
        logged_type = etype if rng.random() > 0.01 else str(rng.choice(types))
        entries = [late] + ([late + float(rng.uniform(0.5, 3.0))] if rng.random() < 0.01 else [])
        for k, lt in enumerate(entries):
            media = t + lt
            off = offset + (jump_s if jump_at is not None and media > jump_at else 0.0)
            t_log = (media - off) / (1 + drift * 1e-6)
            eid = f"ev-{i:04d}" + ("" if k == 0 else "-dup")
            events.append(LoggedEvent(eid, logged_type, round(t_log, 2)))
            truth[eid] = (etype, t)
            typed_at[eid] = media
    events.sort(key=lambda e: e.t)
    return SyntheticMatch(anchors, events, truth, offset, drift, typed_at)
