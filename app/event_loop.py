"""The console's asyncio loop: qasync's, with one ready queue for ``call_soon``.

qasync turns every ``call_soon`` into a Qt timer of its own (registered, fired, killed); a loop carrying a
thousand logger messages a second schedules several thousand of them, and Qt's timer bookkeeping grows
with how many are waiting, so a busy moment snowballs into seconds of delay. Here callbacks wait in a
deque that one zero-delay timer drains; callbacks they schedule run on the next pass, after Qt has
painted and read its sockets.
"""
from __future__ import annotations

import asyncio
from collections import deque

import qasync


class ConsoleEventLoop(qasync.QEventLoop):
    """``qasync.QEventLoop`` whose ``call_soon`` callbacks share one Qt timer per pass."""

    def __init__(self, *args, **kwargs) -> None:
        self._ready: deque[asyncio.Handle] = deque()
        self._drain_scheduled = False
        super().__init__(*args, **kwargs)

    def call_soon(self, callback, *args, context=None) -> asyncio.Handle:
        """Run ``callback(*args)`` on the loop's next pass, in call order."""
        self._check_closed()
        handle = asyncio.Handle(callback, args, self, context=context)
        self._ready.append(handle)
        if not self._drain_scheduled:
            self._drain_scheduled = True
            self.call_later(0, self._drain)
        return handle

    def _drain(self) -> None:
        self._drain_scheduled = False
        for _ in range(len(self._ready)):
            handle = self._ready.popleft()
            if not handle._cancelled:
                handle._run()
