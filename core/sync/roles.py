"""Which audio anchor each logged event type belongs to (the contract's definition of each truth time)."""
from __future__ import annotations

WHISTLE_TYPES = frozenset({"kickoff", "foul", "offside", "penalty_awarded", "half_time", "full_time"})
"""Truth is the referee's whistle onset (the first blast for the patterns)."""

PATTERN_TYPES = frozenset({"half_time", "full_time"})
"""Several blasts: only the first blast of a run is a candidate."""

CROWD_TYPES = frozenset({"goal", "shot"})
"""Truth is the action; the crowd's roar (a goal) or "ooh" (a big chance) starts a fraction of a second
after it. Most shots draw no surge, so for them the clock usually wins."""

MAP_TYPES = WHISTLE_TYPES | {"goal"}
"""Types whose anchor pairs are reliable enough to estimate the clock map and lateness from."""

CARD_TYPES = frozenset({"yellow_card", "red_card"})
"""Shown some seconds after the foul's whistle."""


def anchor_kind(event_type: str) -> str | None:
    """The anchor kind an event of this type is placed on directly, or None (clock only)."""
    if event_type in WHISTLE_TYPES:
        return "whistle"
    if event_type in CROWD_TYPES:
        return "crowd_surge"
    return None
