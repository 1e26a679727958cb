"""The scheduler's clock: real wall time, or wall time running faster so tests play a match day in seconds."""
from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone


class Clock:
    """Wall time (UTC) and sleeping until a wall time; ``rate`` is clock seconds per real second."""

    rate = 1.0

    def now(self) -> datetime:
        """The current time on this clock (timezone-aware, UTC)."""
        return datetime.now(timezone.utc)

    async def sleep_until(self, when: datetime) -> None:
        """Return at ``when`` on this clock (at once if it has passed)."""
        while (left := (when - self.now()).total_seconds()) > 0:
            await asyncio.sleep(min(left / self.rate, 1.0))


class FastClock(Clock):
    """A clock that starts at ``start`` and runs ``rate`` times faster than real time."""

    def __init__(self, start: datetime, rate: float) -> None:
        if rate <= 0:
            raise ValueError("clock rate must be positive")
        self.start = start
        self.rate = rate
        self._origin = time.monotonic()

    def now(self) -> datetime:
        """``start`` plus the real time elapsed since creation, times ``rate``."""
        return self.start + timedelta(seconds=(time.monotonic() - self._origin) * self.rate)
