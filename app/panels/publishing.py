"""The console publishes: each logged event at once as provisional, each decision as a new revision.

Drafts go through one FIFO queue on the console's asyncio (qasync) loop, so an event's provisional
revision always precedes its decisions. The rules (spoiler-safe provisional time, confirmed vs corrected)
are the served session's (core.serve.session).
"""
from __future__ import annotations

import asyncio
import contextlib

from core.clock import MediaClock
from core.ltc.track import LtcTrack, with_ltc
from core.model import LoggedEvent
from core.publish.message import Draft, provisional
from core.publish.service import Publishing
from core.serve.session import decision_draft, provisional_seconds
from core.session.store import Decision

DRAIN_TIMEOUT_S = 5.0
"""How long closing waits for the queue to reach the outbox and the sinks to deliver it."""


class ConsolePublishing:
    """Observes a console window (its ``applied`` and ``decided`` signals) and publishes through ``publishing``."""

    def __init__(self, window, publishing: Publishing, ltc: LtcTrack | None = None) -> None:
        self.window = window
        self.publishing = publishing
        self.ltc = ltc
        """The source's LTC (``--ltc-channel``): each publication carries the timecode at its media time."""
        self.media = MediaClock(window.rate)
        self.provisional_n: dict[str, int] = {}
        self.error: str | None = None
        self._queue: asyncio.Queue[Draft] = asyncio.Queue()
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        """Start the sinks, learn what an earlier run already published, then follow the window."""
        await self.publishing.start()
        outbox = self.publishing.publisher.outbox
        seq = 0
        while batch := await asyncio.to_thread(outbox.after, seq, 5000):
            self.provisional_n.update((p.id, self.media.sample(p.t)) for p in batch if p.status == "provisional"
                                      and p.revision == 1)
            seq = batch[-1].seq
        self._task = asyncio.ensure_future(self._run())
        self.window.applied.connect(self._on_update)
        self.window.decided.connect(self._on_decision)
        for row in list(self.window.book.rows.values()):  # stored before a crash, never published
            self.ensure_provisional(row.event)

    def on_stored(self, event: LoggedEvent) -> None:
        """An intake event is durable: publish it now, not once the worker (busy solving) has seen it.
        Until ``start`` has read what was already published, its sweep of the book covers such events."""
        if self._task is not None:
            self.ensure_provisional(event)

    def ensure_provisional(self, event: LoggedEvent) -> None:
        """Queue ``event``'s provisional publication unless it has one."""
        if event.id in self.provisional_n:
            return
        lateness = self.window.worker.engine.settings.prior_lateness_s if self.window.worker else 0.0
        t = provisional_seconds(self.media, self.window.logged_to_media(event.t), lateness)
        self.provisional_n[event.id] = self.media.sample(t)
        self._queue.put_nowait(provisional(event, t, event.extra.get("logger")))

    def _on_update(self, update) -> None:
        for event in update.events:
            self.ensure_provisional(event)

    def _on_decision(self, d: Decision) -> None:
        row = self.window.book.rows[d.event_id]
        self.ensure_provisional(row.event)
        self._queue.put_nowait(decision_draft(row, self.provisional_n.get(d.event_id), self.media,
                                              self.window.settings.fps, d.operator))

    async def _run(self) -> None:
        """Everything queued goes to the outbox together (one group commit); the next batch waits until
        this one is durable, so the queue's order is the outbox's order."""
        while True:
            drafts = [await self._queue.get()]
            while not self._queue.empty():
                drafts.append(self._queue.get_nowait())
            publishes = [asyncio.ensure_future(self.publishing.publish(with_ltc(d, self.ltc, self.media)))
                         for d in drafts]
            for draft, outcome in zip(drafts, await asyncio.gather(*publishes, return_exceptions=True)):
                if isinstance(outcome, Exception):  # shown in the panel; the session file still holds it
                    self.error = f"{draft.id}: {type(outcome).__name__}: {outcome}"[:200]
                self._queue.task_done()

    @property
    def queued(self) -> int:
        """Drafts not yet in the outbox."""
        return self._queue.qsize()

    async def close(self) -> None:
        """Publish what is queued, let the sinks deliver (bounded), then stop everything."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), DRAIN_TIMEOUT_S)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DRAIN_TIMEOUT_S
        while loop.time() < deadline and any(h.backlog for h in self.publishing.health()):
            await asyncio.sleep(0.05)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.publishing.close()
