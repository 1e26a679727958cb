"""The media position of a replay running at live pace."""
from __future__ import annotations

import time
from collections.abc import Callable


class PlaybackClock:
    """Seconds of media played: advances with ``now()`` while running, holds while paused.

    ``now`` defaults to ``time.monotonic``; tests pass their own to drive the clock synchronously.
    """

    def __init__(self, duration_s: float, now: Callable[[], float] = time.monotonic) -> None:
        self.duration_s = duration_s
        self._now = now
        self._base_s = 0.0
        self._started: float | None = None

    @property
    def running(self) -> bool:
        """True while playing."""
        return self._started is not None

    def position(self) -> float:
        """The current media time in seconds, clamped to the match."""
        pos = self._base_s if self._started is None else self._base_s + self._now() - self._started
        return min(max(pos, 0.0), self.duration_s)

    def play(self) -> None:
        """Start or resume."""
        if self._started is None:
            self._started = self._now()

    def pause(self) -> None:
        """Hold at the current position."""
        self._base_s = self.position()
        self._started = None

    def seek(self, t: float) -> None:
        """Jump to media time ``t`` (seconds), keeping the running state."""
        self._base_s = min(max(t, 0.0), self.duration_s)
        if self._started is not None:
            self._started = self._now()

    @property
    def ended(self) -> bool:
        """True once the whole match has played."""
        return self.position() >= self.duration_s
