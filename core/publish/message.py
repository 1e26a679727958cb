"""What goes out to downstream systems: one publication per revision of an event, and heartbeats.

Spoiler rule for provisional publications (issue 10): a logged event that no operator has decided
yet is published at its *clock-mapped* time only, the logger's time carried through the clock map
(offset and drift) to media time, with no per-type lateness correction. Loggers are late, so
subtracting a typical lateness would move most events earlier and some of them before the action,
which a viewer sees as a spoiler. The caller passes that clock-mapped time as ``t``; this module does
not know the clock map and never moves a provisional time.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timezone

from core.clock import FRAME_RATES, MediaClock
from core.model import LoggedEvent

STATUSES: tuple[str, ...] = ("provisional", "confirmed", "corrected", "cancelled")
"""A logged event goes out as provisional; each operator decision publishes one of the others."""


@dataclass(frozen=True, slots=True)
class Draft:
    """A revision to publish, before the outbox gives it its revision number and sequence.

    ``t`` is media seconds (clock-mapped only, for a provisional one); ``t_logged`` is the logger's
    seconds; ``confidence`` and ``basis`` come from the proposal the time rests on.
    """

    id: str
    type: str
    status: str
    t: float
    t_logged: float
    confidence: float | None = None
    basis: str = "clock"
    operator: str | None = None
    logger: str | None = None
    ltc: str | None = None
    """The source's LTC timecode at ``t`` (None: no LTC read there); ``ltc_fps`` its frame rate."""
    ltc_fps: str | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown publication status {self.status!r}")


@dataclass(frozen=True, slots=True)
class Publication:
    """One message of the outbox; consumers deduplicate by (``id``, ``revision``)."""

    session: str
    seq: int
    id: str
    revision: int
    status: str
    type: str
    t: float
    timecode: str
    fps: str
    t_logged: float
    correction_ms: int
    confidence: float | None
    basis: str
    operator: str | None
    logger: str | None
    published_at: str
    ltc: str | None = None
    ltc_fps: str | None = None

    def to_json(self) -> str:
        """One compact JSON object."""
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> "Publication":
        """Inverse of ``to_json``."""
        return cls(**json.loads(text))


def publication(draft: Draft, session: str, seq: int, revision: int, fps: str,
                clock: MediaClock = MediaClock()) -> Publication:
    """The message for ``draft`` with its place in the session's sequence and its timecode.

    ``correction_ms`` is how far the published media time lies from the logged time, in ms.
    """
    if fps not in FRAME_RATES:
        raise ValueError(f"unknown frame rate {fps!r}; choose from {', '.join(FRAME_RATES)}")
    return Publication(
        session=session, seq=seq, id=draft.id, revision=revision, status=draft.status,
        type=draft.type, t=round(draft.t, 4), timecode=clock.timecode(clock.sample(draft.t), fps),
        fps=fps, t_logged=draft.t_logged, correction_ms=round((draft.t - draft.t_logged) * 1000),
        confidence=draft.confidence, basis=draft.basis, operator=draft.operator,
        logger=draft.logger, published_at=datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
        ltc=draft.ltc, ltc_fps=draft.ltc_fps,
    )


def heartbeat(session: str, last_seq: int) -> dict:
    """The heartbeat every sink that can carry one sends every few seconds."""
    return {"heartbeat": True, "session": session, "last_seq": last_seq,
            "at": datetime.now(timezone.utc).isoformat(timespec="milliseconds")}


def provisional(event: LoggedEvent, t_mapped: float, logger: str | None = None) -> Draft:
    """The first publication of a logged event, at its clock-mapped media time ``t_mapped`` and
    nothing earlier (see the spoiler rule at the top of this module)."""
    return Draft(id=event.id, type=event.type, status="provisional", t=t_mapped, t_logged=event.t,
                 basis="clock", logger=logger)
