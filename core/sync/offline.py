"""Syncing a whole match at once (the `sync` command and benchmarks)."""
from __future__ import annotations

from collections.abc import Iterable

from core import ANALYSIS_RATE
from core.model import Anchor, LoggedEvent
from core.sync.proposal import Proposal
from core.sync.settings import SyncSettings
from core.sync.solver import solve


def sync_events(anchors: Iterable[Anchor], events: Iterable[LoggedEvent], rate: int = ANALYSIS_RATE,
                settings: SyncSettings | None = None) -> list[Proposal]:
    """One proposal per logged event, in the events' order, from every anchor of the match."""
    events = list(events)
    solution = solve(list(anchors), events, rate, settings or SyncSettings())
    return [solution.proposals[ev.id] for ev in events]
