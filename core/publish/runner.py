"""Delivery from the outbox to one sink: resume from its cursor, retry with backoff, report health."""
from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from core.publish.publisher import Publisher
from core.publish.message import Publication


@dataclass(frozen=True, slots=True)
class SinkHealth:
    """What the console shows for a sink: ``state`` is ok, retrying or stopped; ``backlog`` counts
    publications not yet delivered."""

    name: str
    state: str
    delivered_seq: int
    last_seq: int
    backlog: int
    failures: int
    last_error: str | None


class Sink(Protocol):
    """A destination that takes publications in sequence order."""

    name: str
    batch_size: int

    async def deliver(self, pubs: Sequence[Publication]) -> None:
        """Deliver every publication or raise."""

    async def heartbeat(self, message: dict) -> None:
        """Pass a heartbeat on, where the destination carries them."""

    async def close(self) -> None:
        """Release connections and files."""


class SinkRunner:
    """Feeds one sink from the outbox; its cursor moves only after a batch was delivered, so a
    crash or an outage re-delivers from the cursor (at least once; consumers dedupe by id and
    revision)."""

    def __init__(self, sink: Sink, publisher: Publisher, backoff_s: float = 0.2,
                 backoff_max_s: float = 5.0, poll_s: float = 0.5) -> None:
        self.sink = sink
        self.publisher = publisher
        self.backoff_s = backoff_s
        self.backoff_max_s = backoff_max_s
        self.poll_s = poll_s
        self.delivered = 0
        self.failures = 0
        self.last_error: str | None = None
        self.state = "starting"

    def health(self) -> SinkHealth:
        """A snapshot for display."""
        last = max(self.publisher.last_seq, self.delivered)
        return SinkHealth(self.sink.name, self.state, self.delivered, last, last - self.delivered,
                          self.failures, self.last_error)

    async def run(self) -> None:
        """Deliver forever (cancel to stop); heartbeats go to the sink as they come."""
        outbox = self.publisher.outbox
        self.delivered = await asyncio.to_thread(outbox.cursor, self.sink.name)
        self.publisher.on_heartbeat(self.sink.heartbeat)
        self.state = "ok"
        try:
            while True:
                pubs = await self.publisher.after(self.delivered, self.sink.batch_size)
                if not pubs:
                    await self.publisher.wait_beyond(self.delivered, self.poll_s)
                    continue
                try:
                    await self.sink.deliver(pubs)
                except Exception as exc:  # any delivery failure means: retry later from the cursor
                    self.failures += 1
                    self.last_error = f"{type(exc).__name__}: {exc}"[:200]
                    self.state = "retrying"
                    await asyncio.sleep(min(self.backoff_max_s,
                                            self.backoff_s * 2 ** (self.failures - 1)))
                    continue
                await asyncio.to_thread(outbox.set_cursor, self.sink.name, pubs[-1].seq)
                self.delivered = pubs[-1].seq
                self.failures = 0
                self.state = "ok"
        finally:
            self.publisher.off_heartbeat(self.sink.heartbeat)
            self.state = "stopped"
