"""The end-of-session report: the trainee's log scored against the reference, beside MatchSync's
corrected times for the same log (the sync engine over the match's whistle and crowd anchors)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone

from core import ANALYSIS_RATE
from core.model import Anchor, LoggedEvent
from core.sync.offline import sync_events
from core.training.scoring import score_log


def corrected_by_matchsync(anchors: Iterable[Anchor], entries: list[LoggedEvent]) -> list[LoggedEvent]:
    """The trainee's entries at the times the sync engine proposes for them."""
    if not entries:
        return []
    proposals = sync_events(anchors, entries, ANALYSIS_RATE)
    return [LoggedEvent(e.id, e.type, p.n / ANALYSIS_RATE) for e, p in zip(entries, proposals)]


def build_report(trainee: str, match: str, truth: tuple[LoggedEvent, ...], entries: list[LoggedEvent],
                 corrected: list[LoggedEvent] | None, lateness_applied_s: float = 0.0) -> dict:
    """Everything the HTML report and the session store need, as plain JSON-ready data."""
    return {
        "trainee_name": trainee,
        "match": match,
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "duration_s": max([e.t for e in truth] + [e.t for e in entries] + [0.0]),
        "lateness_applied_s": lateness_applied_s,
        "entries": [{"id": e.id, "type": e.type, "t": round(e.t, 4)} for e in entries],
        "trainee": score_log(list(truth), entries),
        "matchsync": None if corrected is None else score_log(list(truth), corrected),
    }
