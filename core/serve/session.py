"""One match served without a window: source -> DSP worker (pipeline + sync engine, its own thread) ->
event book and session store -> publishing, all driven from the asyncio loop.

Every logged event is published at once as ``provisional`` at its clock-mapped time with the typical
lateness added back: the moment the logger typed it, on the media clock, which is never before the
action for a late logger (the spoiler rule of issue 10). A policy then decides each proposal: at or
above the confidence threshold at once, otherwise when its decision deadline passes, and at the end
of the session for whatever is still pending. A decision goes out as ``confirmed`` when it keeps the
provisional time to within one video frame, else as ``corrected``.

A restarted session (same session file, not finished) resumes: the source catches up to the saved
position at full speed, events and decisions already stored are not taken again, and anything stored
but not yet published when the process died (a provisional or a decision) is published first.

A session stops when asked (Ctrl-C, SIGTERM, its scheduler), when the source has played out, a margin
after the full-time event's media time, or at its hard limit; it then drains the worker, decides the
pending proposals, waits until every sink has delivered everything (bounded), and closes.
"""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from core.clock import MediaClock
from core.intake.server import IntakeConfig, IntakeItem, IntakeServer
from core.live.worker import DspWorker, LiveUpdate
from core.ltc.tap import LtcFileSource
from core.ltc.track import LtcTrack, with_ltc
from core.model import LoggedEvent
from core.publish.message import Draft, provisional
from core.serve.clock import Clock
from core.serve.inputs import QueueFeed, open_inputs
from core.serve.sinks import ServePublishing, parse_any_sink
from core.session.book import POLICY, EventBook, EventRow, stored_from
from core.session.store import SessionStore
from core.sync.engine import SyncEngine

POLL_S = 0.05
"""Seconds between drains of the worker's updates."""
POSITION_SAVE_S = 1.0
"""Seconds between saves of the analysed position (where a restarted session resumes)."""
OPERATOR = "serve"


@dataclass(frozen=True, slots=True)
class SessionConfig:
    """Everything one served match needs. Times: ``margin_s`` in media seconds after the full-time
    event, ``hard_limit_s`` in clock seconds after the session started, ``deadline_s`` in media
    seconds after a proposal first appeared."""

    name: str
    source: str
    session_path: Path
    sinks: tuple[str, ...] = ()
    events: str | None = None
    speed: float = 1.0
    auto_accept: float | None = 0.9
    deadline_s: float | None = 10.0
    margin_s: float = 30.0
    hard_limit_s: float | None = None
    fps: str = "25"
    intake_port: int | None = None
    intake_ws_port: int | None = None
    intake_host: str = "127.0.0.1"
    tokens: tuple[str, ...] = ()
    heartbeat_s: float = 5.0
    drain_timeout_s: float = 15.0
    ltc_channel: int | None = None
    """The source file's channel carrying LTC: left out of the analysed mix, read into each publication."""


@dataclass(slots=True)
class SessionReport:
    """What a session did, for the status file and the final line."""

    name: str
    state: str = "scheduled"
    reason: str | None = None
    started: datetime | None = None
    live: datetime | None = None
    stopping: datetime | None = None
    stopped: datetime | None = None
    media_s: float = 0.0
    events: int = 0
    published: int = 0
    last_seq: int = 0
    undelivered: int = 0
    error: str | None = None
    sinks: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        """A JSON-ready dict (times as ISO 8601)."""
        out = {}
        for key in self.__slots__:
            value = getattr(self, key)
            out[key] = value.isoformat() if isinstance(value, datetime) else value
        return out


StateListener = Callable[[SessionReport], None]


def provisional_seconds(media: MediaClock, mapped_n: int, lateness_s: float) -> float:
    """A logged event's provisional time: its clock-mapped media sample plus the typical lateness the
    map absorbs, i.e. when the logger typed it (never before the action for a late logger)."""
    return media.seconds(mapped_n) + lateness_s


def decision_draft(row: EventRow, provisional_n: int | None, media: MediaClock, fps: str,
                   operator: str) -> Draft:
    """The publication of an event's current decision: confirmed when it keeps the provisional time to
    within one video frame, corrected otherwise; cancelled for a withdrawn event, provisional again for
    one an undo left pending."""
    base = {"id": row.event.id, "type": row.event.type, "t_logged": row.event.t, "operator": operator,
            "logger": row.event.extra.get("logger")}
    if row.status in ("cancelled", "pending") or row.n is None:
        t = media.seconds(provisional_n) if provisional_n is not None else row.event.t
        status = "provisional" if row.status == "pending" else "cancelled"
        return Draft(status=status, t=t, basis="clock", **base)
    moved = abs(row.n - (row.n if provisional_n is None else provisional_n)) > media.frame_duration_samples(fps)
    proposal = row.proposal if row.status in ("accepted", "auto") else None
    return Draft(status="corrected" if moved else "confirmed", t=media.seconds(row.n),
                 confidence=proposal.confidence if proposal else None,
                 basis=proposal.basis if proposal else ("clock" if row.status == "rejected" else "operator"),
                 **base)


class MatchSession:
    """Runs one match from ``run()`` until it stops; ``stop()`` asks it to stop cleanly."""

    def __init__(self, config: SessionConfig, clock: Clock, on_state: StateListener | None = None) -> None:
        self.config = config
        self.clock = clock
        self.report = SessionReport(config.name)
        self.on_state = on_state or (lambda report: None)
        self.specs = [parse_any_sink(spec) for spec in config.sinks]
        self.media = MediaClock()
        self.intake: IntakeServer | None = None
        self.publishing: ServePublishing | None = None
        self.stop_requested = asyncio.Event()
        """Set once the session was asked to stop (by a signal, its scheduler or its own end)."""
        self._clock_map = None
        self._provisional_n: dict[str, int] = {}
        self._full_time: LoggedEvent | None = None
        self._worker: DspWorker | None = None
        self._book: EventBook | None = None
        self._ltc: LtcTrack | None = None

    def stop(self, reason: str = "stopped") -> None:
        """Ask the session to stop (any time, also before it is live)."""
        if not self.stop_requested.is_set():
            self.report.reason = reason
            self.report.stopping = self.clock.now()
            self.stop_requested.set()

    def _state(self, state: str) -> None:
        self.report.state = state
        if state == "starting":
            self.report.started = self.clock.now()
        elif state == "live":
            self.report.live = self.clock.now()
        elif state in ("finished", "failed"):
            self.report.stopped = self.clock.now()
        self.on_state(self.report)

    async def run(self) -> SessionReport:
        """Serve the match until it stops; never raises (a failure ends in state ``failed``)."""
        self._state("starting")
        store = None
        try:
            store = SessionStore(self.config.session_path)
            await self._serve(store)
        except Exception as exc:  # noqa: BLE001 - one failed match must not stop the others
            self.report.error = f"{type(exc).__name__}: {exc}"[:300]
            self.report.reason = self.report.reason or "error"
            await self._close()
            self._state("failed")
        else:
            self._state("finished")
        finally:
            if store is not None:
                store.close()
        return self.report

    async def _serve(self, store: SessionStore) -> None:
        cfg = self.config
        resume_n = 0 if store.get_meta("finished") == "1" else int(store.get_meta("position", "0"))
        networked = cfg.intake_port is not None or cfg.intake_ws_port is not None
        intake_feed = QueueFeed() if networked else None
        source, feed = await asyncio.to_thread(open_inputs, cfg.source, cfg.speed, cfg.events, intake_feed,
                                               resume_n)
        if cfg.ltc_channel is not None:
            source = await asyncio.to_thread(LtcFileSource, cfg.source, cfg.ltc_channel, cfg.speed, resume_n)
            self._ltc = source.track
        self._worker = DspWorker(source, SyncEngine(source.rate), feed)
        self._book = EventBook(store, OPERATOR, self._logged_to_media)
        store.set_meta("source", cfg.source)
        store.set_meta("finished", "0")
        self.publishing = ServePublishing(cfg.session_path, cfg.name, self.specs, cfg.tokens, cfg.fps,
                                          cfg.heartbeat_s)
        await self.publishing.start()
        await self._publish_unpublished()
        if intake_feed is not None:
            self.intake = IntakeServer(
                IntakeConfig(cfg.tokens, cfg.intake_host, ws_port=cfg.intake_ws_port,
                             tcp_port=cfg.intake_port),
                lambda item: self._from_intake(item, intake_feed))
            await self.intake.start()
        source.start()
        self._worker.start()
        self._state("live")
        saved = asyncio.get_running_loop().time()
        while not self.stop_requested.is_set():
            await self._drain()
            self._check_end()
            if asyncio.get_running_loop().time() - saved >= POSITION_SAVE_S:
                store.set_position(self._worker.head_n)
                saved = asyncio.get_running_loop().time()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop_requested.wait(), POLL_S)
        await self._finish()
        store.set_meta("position", str(self._worker.head_n))
        store.set_meta("finished", "1")

    async def _publish_unpublished(self) -> None:
        """After a restart: publish what the store holds but the outbox lost to the crash."""
        outbox = self.publishing.publisher.outbox
        last_status: dict[str, str] = {}
        seq = 0
        while batch := await asyncio.to_thread(outbox.after, seq, 5000):
            last_status.update((p.id, p.status) for p in batch)
            self._provisional_n.update((p.id, self.media.sample(p.t)) for p in batch
                                       if p.status == "provisional")
            seq = batch[-1].seq
        for eid, row in self._book.rows.items():
            self.report.events += 1
            if row.event.type == "full_time" and self._full_time is None:
                self._full_time = row.event
            if eid not in last_status:
                t = self._provisional_t(row.event)
                self._provisional_n[eid] = self.media.sample(t)
                await self._publish(provisional(row.event, t, row.event.extra.get("logger")))
            if row.status == "auto" and last_status.get(eid, "provisional") == "provisional":
                await self._publish(self._decision_draft(eid))

    # --- the data path --------------------------------------------------------------------------
    def _logged_to_media(self, t: float) -> int:
        if self._clock_map is None:
            return self.media.sample(t)
        return self.media.sample(self._clock_map.media_time(t))

    def _provisional_t(self, event: LoggedEvent) -> float:
        """Clock-mapped time plus the typical lateness the map absorbs: when the logger typed it."""
        return provisional_seconds(self.media, self._logged_to_media(event.t),
                                   self._worker.engine.settings.prior_lateness_s)

    async def _from_intake(self, item: IntakeItem, feed: QueueFeed) -> None:
        """Store and publish a network event before it is acknowledged, then hand it to the engine."""
        await self._add_event(item.event, item.logger)
        feed.put(item.event)

    async def _add_event(self, event: LoggedEvent, logger: str | None = None) -> None:
        if not self._book.add_event(event, self._worker.head_n):
            return
        self.report.events += 1
        t = self._provisional_t(event)
        self._provisional_n[event.id] = self.media.sample(t)
        await self._publish(provisional(event, t, logger or event.extra.get("logger")))
        if event.type == "full_time" and self._full_time is None:
            self._full_time = event

    async def _publish(self, draft: Draft) -> None:
        pub = await self.publishing.publish(with_ltc(draft, self._ltc, self.media))
        self.report.published += 1
        self.report.last_seq = pub.seq

    async def _drain(self) -> None:
        while True:
            try:
                update = self._worker.updates.get_nowait()
            except Exception:  # queue.Empty
                break
            await self._apply(update)
        await self._deadline_policy(self._worker.head_n)

    async def _apply(self, u: LiveUpdate) -> None:
        self._book.head_n = u.head_n
        self.report.media_s = round(u.head_n / self.media.rate, 3)
        if u.clock is not None:
            self._clock_map = u.clock
        for event in u.events:
            await self._add_event(event)
        for p in u.proposals:
            if self._book.add_proposal(stored_from(p, u.head_n)):
                threshold = self.config.auto_accept
                if threshold is not None and p.confidence >= threshold:
                    await self._decide(p.event_id, "confidence")
        if u.ended:
            self.stop("source ended")

    async def _deadline_policy(self, head_n: int) -> None:
        if self.config.deadline_s is None:
            return
        for eid in self._book.due_for_deadline(head_n, int(self.config.deadline_s * self.media.rate)):
            await self._decide(eid, "deadline")

    async def _decide(self, eid: str, why: str) -> None:
        if self._book.auto(eid, why) is not None:  # stored first, published after
            await self._publish(self._decision_draft(eid))

    def _decision_draft(self, eid: str) -> Draft:
        """The publication of an event's decided time: confirmed when it keeps the provisional time
        to within one video frame, corrected otherwise."""
        return decision_draft(self._book.rows[eid], self._provisional_n.get(eid), self.media, self.config.fps,
                              POLICY)

    def _check_end(self) -> None:
        head = self._worker.head_n
        margin = self.config.margin_s * self.media.rate
        if self._full_time is not None and head >= self._logged_to_media(self._full_time.t) + margin:
            self.stop("full time")
        started = self.report.live or self.report.started
        limit = self.config.hard_limit_s
        if limit is not None and (self.clock.now() - started).total_seconds() >= limit:
            self.stop("hard limit")

    # --- stopping -------------------------------------------------------------------------------
    async def _finish(self) -> None:
        """No new input; the last audio analysed; every pending proposal decided; sinks drained."""
        if self.intake is not None:
            await self.intake.close()
            self.intake = None
        worker = self._worker
        await asyncio.to_thread(worker.source.stop)
        for _ in range(int(5 / POLL_S)):  # the worker flushes the detectors once the source is done
            if worker.ended or not worker.source.finished.is_set():
                break
            await asyncio.sleep(POLL_S)
            await self._drain()
        await asyncio.to_thread(worker.stop)
        await self._drain()
        for eid, row in list(self._book.rows.items()):
            if row.status == "pending":
                await self._decide(eid, "deadline")
        await self._wait_delivered()
        await self._close()

    async def _wait_delivered(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.drain_timeout_s
        while loop.time() < deadline:
            if all(h.backlog == 0 for h in self.publishing.health()):
                break
            await asyncio.sleep(POLL_S)

    async def _close(self) -> None:
        if self.intake is not None:
            await self.intake.close()
            self.intake = None
        if self._worker is not None:
            await asyncio.to_thread(self._worker.source.stop)
            await asyncio.to_thread(self._worker.stop)
        if self.publishing is not None:
            health = self.publishing.health()
            dropped = {r.sink.name: getattr(r.sink, "duplicates", None) for r in self.publishing.runners}
            self.report.sinks = [{"name": h.name, "state": h.state, "delivered_seq": h.delivered_seq,
                                  "backlog": h.backlog, "last_error": h.last_error,
                                  "duplicates": dropped.get(h.name)} for h in health]
            self.report.undelivered = max((h.backlog for h in health), default=0)
            await self.publishing.close()
            self.publishing = None
