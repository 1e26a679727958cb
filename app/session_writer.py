"""The console's writer thread: a second connection to the session file for the writes the GUI thread must
not wait for. The intake's events go first (a logger waits for each acknowledgement); the sync engine's
proposals and the playback position go when no event is waiting."""
from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

from core.session.store import SessionStore, StoredProposal

PROPOSAL_CHUNK = 100
"""Proposals stored per transaction: a re-solve revising thousands lets waiting events in between."""
URGENT, BACKGROUND = 0, 1


class SessionWriter:
    """Runs writes on one thread of its own: urgent ones in submission order, each before any background
    one not yet started; background ones in submission order. The first background failure is kept in
    ``error`` (an urgent one goes to its caller through its future)."""

    def __init__(self, path: Path) -> None:
        self._queue: queue.PriorityQueue = queue.PriorityQueue()
        self._order = itertools.count()
        self._closed = False
        self.error: str | None = None
        self._thread = threading.Thread(target=self._loop, name="session-writer", daemon=True)
        self._thread.start()
        self.store: SessionStore = self.run(SessionStore, path).result()

    def run(self, fn: Callable, *args) -> Future:
        """Run ``fn(*args)`` on the writer thread, before any background write still waiting; its future.
        ``fn`` may use ``self.store``."""
        return self._submit(URGENT, fn, *args)

    def put_proposals(self, proposals: list[StoredProposal]) -> None:
        """Store proposals in the background (they can be derived again by replaying the audio)."""
        for i in range(0, len(proposals), PROPOSAL_CHUNK):
            self._submit(BACKGROUND, self.store.put_proposals, proposals[i:i + PROPOSAL_CHUNK])

    def set_position(self, n: int) -> None:
        """Remember how far the session has played, in the background."""
        self._submit(BACKGROUND, self.store.set_position, n)

    def close(self) -> None:
        """Finish every write submitted, then close the connection (once; closing again does nothing)."""
        if self._closed:
            return
        closed = self._submit(BACKGROUND, self.store.close)
        self._closed = True
        self._queue.put((BACKGROUND, next(self._order), None, (), None))
        self._thread.join()
        closed.result()

    def _submit(self, priority: int, fn: Callable, *args) -> Future:
        if self._closed:
            raise RuntimeError("the session writer is closed")
        future: Future = Future()
        self._queue.put((priority, next(self._order), fn, args, future))
        return future

    def _loop(self) -> None:
        while True:
            priority, _, fn, args, future = self._queue.get()
            if fn is None:
                return
            try:
                future.set_result(fn(*args))
            except Exception as exc:  # reported to the caller, and a background one shown as the error
                future.set_exception(exc)
                if priority == BACKGROUND and self.error is None:
                    self.error = f"session file: {type(exc).__name__}: {exc}"[:200]
