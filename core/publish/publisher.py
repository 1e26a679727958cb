"""The outbox on the event loop: group-committed appends off the loop thread, wake-ups, heartbeats."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor

from core.publish.message import Draft, Publication, heartbeat
from core.publish.outbox import Outbox

HEARTBEAT_S = 5.0
"""Seconds between heartbeats."""

HeartbeatListener = Callable[[dict], Awaitable[None]]


class Publisher:
    """Appends drafts to the outbox without blocking the loop and tells sinks about new messages.

    Drafts submitted while a write is on disk are committed together in the next transaction (group
    commit), so a burst of events costs one fsync, not one each. ``publish`` returns only when its
    publication is durable.
    """

    def __init__(self, outbox: Outbox, heartbeat_s: float = HEARTBEAT_S) -> None:
        self.outbox = outbox
        self.heartbeat_s = heartbeat_s
        self.last_seq = outbox.last_seq()
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="outbox-writer")
        self._pending: list[tuple[Draft, asyncio.Future]] = []
        self._inflight: list[tuple[Draft, asyncio.Future]] = []
        self._wake = asyncio.Event()
        self._changed = asyncio.Condition()
        self._listeners: list[HeartbeatListener] = []
        self._tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        """Start the writer and the heartbeat."""
        self._tasks = [asyncio.create_task(self._write_loop(), name="outbox-writer"),
                       asyncio.create_task(self._heartbeat_loop(), name="outbox-heartbeat")]

    async def close(self) -> None:
        """Stop the tasks and release the writer thread. Publishes still waiting are cancelled; one
        whose transaction was already under way may still commit (and will be delivered)."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for _, future in self._pending + self._inflight:
            future.cancel()
        self._writer.shutdown(wait=True)

    async def publish(self, draft: Draft) -> Publication:
        """Append one draft; returns its durable publication."""
        future = asyncio.get_running_loop().create_future()
        self._pending.append((draft, future))
        self._wake.set()
        return await future

    def on_heartbeat(self, listener: HeartbeatListener) -> None:
        """Call ``listener`` with every heartbeat."""
        self._listeners.append(listener)

    def off_heartbeat(self, listener: HeartbeatListener) -> None:
        """Stop calling ``listener``."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    async def after(self, seq: int, limit: int = 500) -> list[Publication]:
        """Publications above ``seq`` (read off the loop thread)."""
        return await asyncio.to_thread(self.outbox.after, seq, limit)

    async def bodies_after(self, seq: int, limit: int = 500) -> list[tuple[int, str]]:
        """(sequence number, JSON text) of the publications above ``seq`` (read off the loop thread)."""
        return await asyncio.to_thread(self.outbox.bodies_after, seq, limit)

    async def wait_beyond(self, seq: int, timeout: float) -> None:
        """Return once a publication above ``seq`` exists here, or after ``timeout`` seconds (another
        process may append to the same outbox, so callers re-read either way)."""
        async with self._changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait_for(lambda: self.last_seq > seq), timeout)

    async def _write_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch = self._inflight = self._pending
            self._pending = []
            if not batch:
                continue
            drafts = [draft for draft, _ in batch]
            try:
                pubs = await loop.run_in_executor(self._writer, self.outbox.append, drafts)
            except Exception:  # one bad draft must not fail the others: write them one by one
                pubs = await self._append_each(batch)
            else:
                for (_, future), pub in zip(batch, pubs):
                    if not future.done():
                        future.set_result(pub)
            if not pubs:
                continue
            async with self._changed:
                self.last_seq = max(self.last_seq, pubs[-1].seq)
                self._changed.notify_all()

    async def _append_each(self, batch: list[tuple[Draft, asyncio.Future]]) -> list[Publication]:
        loop = asyncio.get_running_loop()
        done = []
        for draft, future in batch:
            try:
                (pub,) = await loop.run_in_executor(self._writer, self.outbox.append, [draft])
            except Exception as exc:  # the storage error goes to the one publish that caused it
                if not future.done():
                    future.set_exception(exc)
                continue
            done.append(pub)
            if not future.done():
                future.set_result(pub)
        return done

    async def _heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_s)
            last = await asyncio.to_thread(self.outbox.last_seq)
            message = heartbeat(self.outbox.session, last)
            for listener in list(self._listeners):
                with contextlib.suppress(Exception):  # a failing sink shows in its health, not here
                    await listener(message)
