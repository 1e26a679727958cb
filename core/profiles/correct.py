"""Placing logged events of any sport on the anchors its profile names (the direct path beside core/sync)."""
from __future__ import annotations

from collections.abc import Iterable

from core.model import Anchor, LoggedEvent
from core.profiles.profile import Profile


def correct_events(events: Iterable[LoggedEvent], anchors: Iterable[Anchor], profile: Profile, rate: int,
                   clock_offset_s: float = 0.0) -> list[dict]:
    """The contract's corrected object for every event: on the best anchor of its kind inside the rule's window.

    ``clock_offset_s`` maps the logger's clock to media time (media = logged + offset); the window is
    ``search_s`` around that. Several anchors in the window: the most confident, then the latest (the
    logger is usually late, so the nearest before the press). No anchor: the clock alone (basis "clock";
    "none" for types the profile does not know).
    """
    by_kind: dict[str, list[Anchor]] = {}
    for a in anchors:
        by_kind.setdefault(a.kind, []).append(a)
    out = []
    for ev in events:
        t_clock = ev.t + clock_offset_s
        rule = profile.events.get(ev.type)
        row = {"id": ev.id, "type": ev.type, "t_logged": ev.t, "t": round(t_clock, 4), "confidence": 0.0,
               "basis": "none" if rule is None else "clock", "anchor_t": None}
        if rule is not None and rule.anchor is not None:
            lo, hi = t_clock + rule.search_s[0], t_clock + rule.search_s[1]
            found = [a for a in by_kind.get(rule.anchor, []) if lo <= a.start / rate <= hi]
            if found:
                best = max(found, key=lambda a: (a.confidence, a.start))
                share = 1.0 if len(found) == 1 else 0.7
                row.update(t=round(best.start / rate, 4), confidence=round(best.confidence * share, 3),
                           basis=rule.anchor, anchor_t=round(best.start / rate, 4))
            else:
                row["confidence"] = 0.2
        out.append(row)
    return out
