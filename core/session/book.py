"""The event book: each logged event's proposal and status, changed only through stored decisions."""
from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from core.model import LoggedEvent
from core.session.store import Decision, SessionStore, StoredProposal

STATUSES = ("pending", "accepted", "overridden", "rejected", "auto", "cancelled")
DECIDED = frozenset(STATUSES) - {"pending"}
POLICY = "policy"
"""Operator name recorded for decisions the console's policies take."""


@dataclass(frozen=True, slots=True)
class EventRow:
    """What the console shows for one event; ``n`` is the decided media time, if any."""

    event: LoggedEvent
    arrived_n: int
    proposal: StoredProposal | None = None
    proposed_at_n: int | None = None
    status: str = "pending"
    n: int | None = None

    @property
    def working_n(self) -> int | None:
        """The time the event has now: decided, else proposed."""
        if self.status in DECIDED:
            return self.n
        return self.proposal.n if self.proposal else None


class EventBook:
    """Events in arrival order; every change is a Decision written to the store before it applies."""

    def __init__(self, store: SessionStore, operator: str,
                 logged_to_media: Callable[[float], int]) -> None:
        self.store = store
        self.operator = operator
        self.logged_to_media = logged_to_media
        self.rows: dict[str, EventRow] = {}
        self.ids: list[str] = []
        """Event ids in arrival order (row ``i`` of a table); only ever appended to."""
        self.listeners: list[Callable[[str], None]] = []
        """Called with an event's id whenever its row is added or changes."""
        self.head_n = 0
        """Media sample the session has reached; decisions are stamped with it."""
        self._undone: set[int] = set()
        self._touched: set[str] = set()
        self._history: list[Decision] = []
        self._waiting: list[tuple[int, str]] = []
        """(first proposal's media sample, id): a heap of the events whose decision deadline has not come."""
        self._due: dict[str, None] = {}
        """Events past their deadline and still pending with no decision (the policy acts on them)."""
        proposals = store.latest_proposals()
        first_at = store.first_proposal_at()
        for event, arrived in store.events():
            self._new_row(EventRow(event, arrived, proposals.get(event.id), first_at.get(event.id)))
        for d in store.decisions():
            self._apply(d)

    # --- intake ------------------------------------------------------------------------------
    def add_event(self, event: LoggedEvent, arrived_n: int) -> bool:
        """A logged event arrived (or a logger corrected one: same id, new content); False if nothing
        changed (a replay after a restart)."""
        row = self.rows.get(event.id)
        if row is not None:
            if (row.event.type, row.event.t, row.event.extra) == (event.type, event.t, event.extra):
                return False
            self.store.revise_event(event)
            self._set(replace(row, event=event))
            return True
        if not self.store.add_event(event, arrived_n):
            return False
        self._new_row(EventRow(event, arrived_n))
        return True

    def stored(self, event: LoggedEvent, arrived_n: int) -> None:
        """An event another connection already wrote to the session file (the console's intake writer):
        show it, or its correction."""
        row = self.rows.get(event.id)
        if row is None:
            self._new_row(EventRow(event, arrived_n))
        else:
            self._set(replace(row, event=event))

    def add_proposal(self, p: StoredProposal) -> bool:
        """A new or revised proposal; False if the event is unknown or the revision already stored."""
        if p.event_id not in self.rows:
            return False
        stored = self.store.add_proposal(p)
        self.show_proposal(p)
        return stored

    def show_proposal(self, p: StoredProposal) -> bool:
        """A new or revised proposal the caller stores itself (the console, on its writer thread); False if
        the event is unknown or the revision is not newer than the one shown (a replay after a restart)."""
        row = self.rows.get(p.event_id)
        if row is None:
            return False
        current = row.proposal
        if current is not None and p.revision < current.revision:
            return False
        first = row.proposed_at_n is None
        self._set(replace(row, proposal=p, proposed_at_n=p.at_n if first else row.proposed_at_n))
        if first:
            heapq.heappush(self._waiting, (p.at_n, p.event_id))
        return current is None or p.revision > current.revision

    # --- decisions ---------------------------------------------------------------------------
    def accept(self, eid: str) -> Decision | None:
        """Accept the proposal (or the time the operator set) as it stands."""
        row = self.rows[eid]
        n = row.working_n
        if n is None:
            return None
        return self._decide(eid, "accept", "overridden" if row.status == "overridden" else "accepted", n)

    def reject(self, eid: str) -> Decision:
        """Keep the logged time (mapped to media time by the current clock map)."""
        return self._decide(eid, "reject", "rejected", self.logged_n(eid))

    def nudge(self, eid: str, delta: int) -> Decision | None:
        """Move the event's time by ``delta`` samples (an override)."""
        base = self.rows[eid].working_n
        base = self.logged_n(eid) if base is None else base
        return self._decide(eid, "nudge", "overridden", base + delta)

    def set_time(self, eid: str, n: int) -> Decision:
        """Put the event at media sample ``n`` (cursor, playhead or a dragged marker)."""
        return self._decide(eid, "set_time", "overridden", n)

    def next_alternative(self, eid: str) -> Decision | None:
        """Take the next ranked candidate after the one the event has now."""
        row = self.rows[eid]
        alts = [a["n"] for a in (row.proposal.detail.get("alternatives", []) if row.proposal else [])
                if a.get("n") is not None]
        if not alts:
            return None
        now = row.working_n
        i = alts.index(now) + 1 if now in alts else 0
        return self._decide(eid, "next_alternative", "overridden", alts[i % len(alts)])

    def cancel(self, eid: str) -> Decision:
        """The event did not happen: it is withdrawn."""
        return self._decide(eid, "cancel", "cancelled", None)

    def auto(self, eid: str, why: str) -> Decision | None:
        """A policy accepts the best proposal (``why``: "confidence" or "deadline"); never an event that
        has been decided before (an operator who undid a decision keeps it pending)."""
        row = self.rows[eid]
        if (row.status != "pending" or row.proposal is None or row.proposal.n is None
                or eid in self._touched):
            return None
        return self._decide(eid, f"auto_{why}", "auto", row.proposal.n, operator=POLICY)

    def undo(self) -> Decision | None:
        """Revert the newest decision not yet undone (undo again to walk further back)."""
        for d in reversed(self._history):
            if d.undoes is None and d.seq not in self._undone:
                return self._decide(d.event_id, "undo", d.status_before, d.n_before, undoes=d.seq)
        return None

    # --- views -------------------------------------------------------------------------------
    def logged_n(self, eid: str) -> int:
        """The moment the logger typed the event, on the media clock: when it arrived, for an event that
        came in live; the clock map's reading of its logged time for one that was waiting in a file when
        the session began (it arrived before it could have been typed)."""
        row = self.rows[eid]
        return max(row.arrived_n, self.logged_to_media(row.event.t))

    def decided_before(self, eid: str) -> bool:
        """Whether any decision (even one undone since) was made on the event."""
        return eid in self._touched

    def decisions(self) -> list[Decision]:
        """Every decision of the session, oldest first."""
        return list(self._history)

    def due_for_deadline(self, head_n: int, deadline_samples: int) -> list[str]:
        """Pending events never decided whose proposal has waited at least ``deadline_samples`` (only the
        events whose deadline came since the last call are read, not every event)."""
        while self._waiting and head_n - self._waiting[0][0] >= deadline_samples:
            self._due[heapq.heappop(self._waiting)[1]] = None
        for eid in [eid for eid in self._due if self.rows[eid].status != "pending" or eid in self._touched]:
            del self._due[eid]  # decided: it never waits for the policy again
        return [eid for eid in self._due if self.rows[eid].proposal.n is not None]

    # --- internals ---------------------------------------------------------------------------
    def _new_row(self, row: EventRow) -> None:
        self.ids.append(row.event.id)
        self._set(row)
        if row.proposed_at_n is not None:
            heapq.heappush(self._waiting, (row.proposed_at_n, row.event.id))

    def _set(self, row: EventRow) -> None:
        self.rows[row.event.id] = row
        for listener in self.listeners:
            listener(row.event.id)

    def _decide(self, eid: str, action: str, status: str, n: int | None, operator: str | None = None,
                undoes: int | None = None) -> Decision:
        row = self.rows[eid]
        before_n = row.n if row.status in DECIDED else row.working_n
        d = Decision(0, eid, action, operator or self.operator, datetime.now(timezone.utc).isoformat(),
                     self.head_n, row.status, before_n, status, n, undoes)
        d = self.store.record(d)  # durable first, shown after
        self._apply(d)
        return d

    def _apply(self, d: Decision) -> None:
        row = self.rows[d.event_id]
        self._set(replace(row, status=d.status_after, n=d.n_after))
        if d.undoes is not None:
            self._undone.add(d.undoes)
        self._touched.add(d.event_id)
        self._history.append(d)


def stored_from(proposal, at_n: int) -> StoredProposal:
    """The session-file form of a sync-engine Proposal that appeared at media sample ``at_n``."""
    alternatives = [{"n": c.n, "basis": c.basis, "score": round(float(c.score), 4), "why": c.why}
                    for c in proposal.alternatives]
    detail = {"why": proposal.why, "early_risk": bool(proposal.early_risk), "alternatives": alternatives,
              "anchor_n": None if proposal.anchor is None else proposal.anchor.start}
    return StoredProposal(proposal.event_id, int(proposal.revision), int(proposal.n),
                          float(proposal.confidence), proposal.basis, at_n, detail)
