"""Tunable knobs of the sync engine, with defaults tuned on simulated seeds 0-99 only."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SyncSettings:
    """Everything the sync engine may be told; every field has a sensible default.

    ``early_cost`` is the asymmetry of issue 10: placing an event more than ``spoiler_s`` before the
    action costs this many times as much as placing it late. It decides between competing candidates and
    sets the safety margin of clock-based proposals.
    """

    early_cost: float = 8.0
    spoiler_s: float = 0.5
    hit_s: float = 0.25
    miss_cost: float = 0.5
    # logger and clock priors
    max_offset_s: float = 12.0
    max_drift_ppm: float = 250.0
    drift_prior_ppm: float = 100.0
    prior_lateness_s: float = 2.5
    lateness_spread_s: float = 0.8
    lateness_prior_events: float = 4.0
    early_entry_share: float = 0.04
    late_tail_share: float = 0.03
    mistyped_share: float = 0.01  # entries logged with the wrong type (one of an unanchored type on a whistle)
    goal_share: float = 0.015  # goals among a match's actions: how often a mistyped entry is a goal
    late_tail_s: float = 4.0  # scale of the (exponential) tail of very late entries beyond the typical time
    jump_cost: float = 6.0
    # detection model
    whistle_detect_p: float = 0.95
    surge_detect_p: float = 0.9
    shot_surge_p: float = 0.4
    clutter_per_s: float = 0.02  # the prior; a match's own whistle clutter rate is learned (core.sync.referee)
    referee_prior_count: float = 3.0  # pseudo-examples of the broad prior behind each learned whistle class
    roar_min_confidence: float = 0.4  # a goal stands only on a surge this confident (a roar, not an "ooh"; a
    # roar cut short by the detector scores ~0.45)
    roar_clutter_per_s: float = 0.001  # roars that are no goal are rare
    goal_roar_confidence: float = 0.6  # a goal's roar scores this much or more (core.detect.crowd)
    goal_roar_lr: float = 50.0  # how much likelier a goal's roar scores so than another surge of 0.4+
    # (seeds 0-99: 93 % of goals' roars against 1.8 % of the others)
    goal_kickoff_min_s: float = 30.0  # play restarts with a kickoff this long after a goal at the soonest
    goal_kickoff_max_s: float = 90.0  # ... and at the latest
    goal_kickoff_lr: float = 90.0  # how much likelier a goal's roar is followed so than another surge of 0.4+
    # (seeds 0-99: 95 % of goals' roars against 1 % of the others)
    goal_surge_lead_s: float = 0.2
    goal_lead_spread_s: float = 0.8
    shot_lead_spread_s: float = 1.7
    pattern_gap_s: float = 4.0
    card_min_delay_s: float = 5.0
    restart_min_delay_s: float = 5.0  # a free kick is taken at least this long after its foul's whistle
    # causal engine
    revise_s: float = 0.03
    early_risk_p: float = 0.02
    provisional_early_p: float = 0.01
