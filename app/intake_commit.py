"""Group commit for the console's intake, off the GUI thread: events that arrive together are written in
one transaction on the session writer's thread, and shown once they are durable."""
from __future__ import annotations

import asyncio
from collections.abc import Callable

from app.session_writer import SessionWriter
from core.model import LoggedEvent
from core.session.book import EventBook


class IntakeCommit:
    """Events handed over while a write is on disk go together in the next transaction (one fsync), on the
    writer's thread and connection to the session file, so the GUI thread never waits for the disk or for
    the file's lock. Each ``add`` returns once its event is durable (the logger's acknowledgement still
    means stored); the event is then in the book and passed to the worker's feed."""

    def __init__(self, book: EventBook, feed, head_n: Callable[[], int], writer: SessionWriter) -> None:
        self.book = book
        self.feed = feed
        self.head_n = head_n
        self.writer = writer
        self._pending: list[tuple[LoggedEvent, asyncio.Future]] = []
        self._writing = False
        self.listeners: list[Callable[[LoggedEvent], None]] = []
        """Called with each event once it is durable (the publisher: it need not wait for the worker)."""

    async def add(self, event: LoggedEvent) -> None:
        """Store ``event`` with the others arriving meanwhile; raises if storing failed."""
        future = asyncio.get_running_loop().create_future()
        self._pending.append((event, future))
        if not self._writing:
            self._writing = True
            asyncio.ensure_future(self._write())
        await future

    async def _write(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                events, arrived_n = [event for event, _ in batch], self.head_n()
                try:
                    await asyncio.wrap_future(self.writer.run(self.writer.store.put_events, events, arrived_n))
                except Exception as exc:  # each logger gets the error as its reply
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for event, future in batch:
                    self.book.stored(event, arrived_n)
                    self.feed.put(event)
                    for listener in self.listeners:
                        listener(event)
                    if not future.done():
                        future.set_result(None)
        finally:
            self._writing = False
