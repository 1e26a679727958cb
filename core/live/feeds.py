"""Logger-event feeds the console follows: a JSONL file as it grows, or a timed list (the demo logger)."""
from __future__ import annotations

import json
import queue
import time
from collections.abc import Iterable
from pathlib import Path

from core.model import EVENT_TYPES, LoggedEvent


def parse_event(line: str) -> LoggedEvent:
    """One contract logged-event line; ValueError naming the problem otherwise."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg})") from None
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    eid, etype, t = obj.get("id"), obj.get("type"), obj.get("t")
    if not isinstance(eid, str) or not eid:
        raise ValueError("missing string 'id'")
    if etype not in EVENT_TYPES:
        raise ValueError(f"unknown type {etype!r}")
    if isinstance(t, bool) or not isinstance(t, (int, float)):
        raise ValueError("missing number 't'")
    extra = {k: v for k, v in obj.items() if k not in ("id", "type", "t")}
    return LoggedEvent(eid, etype, float(t), extra)


class FileFeed:
    """Follows a JSON Lines file as a logger appends to it; a line counts once it ends in a newline.
    The file is looked at no more than every ``interval_s``."""

    def __init__(self, path: str | Path, interval_s: float = 0.05) -> None:
        self.path = Path(path)
        self.interval_s = interval_s
        self._next_look = 0.0
        self._offset = 0
        self._partial = b""
        self.problems: list[str] = []
        """One message per unusable line (shown in the console's status bar)."""
        self._line = 0

    def poll(self, head_n: int) -> list[LoggedEvent]:
        """Events appended since the last poll (``head_n`` is unused: a file logger has no schedule)."""
        now = time.monotonic()
        if now < self._next_look:
            return []
        self._next_look = now + self.interval_s
        try:
            with self.path.open("rb") as f:
                f.seek(self._offset)
                chunk = f.read()
        except OSError:
            return []
        self._offset += len(chunk)
        lines = (self._partial + chunk).split(b"\n")
        self._partial = lines.pop()
        out = []
        for raw in lines:
            self._line += 1
            if not raw.strip():
                continue
            try:
                out.append(parse_event(raw.decode("utf-8")))
            except (ValueError, UnicodeDecodeError) as exc:
                self.problems.append(f"{self.path}:{self._line}: {exc}")
        return out


class TimedFeed:
    """Events released when the media clock reaches the sample at which the logger typed them."""

    def __init__(self, schedule: Iterable[tuple[int, LoggedEvent]]) -> None:
        self._pending = sorted(schedule, key=lambda item: item[0])
        self.problems: list[str] = []

    def poll(self, head_n: int) -> list[LoggedEvent]:
        """Events due at or before ``head_n``."""
        k = 0
        while k < len(self._pending) and self._pending[k][0] <= head_n:
            k += 1
        due, self._pending = self._pending[:k], self._pending[k:]
        return [event for _, event in due]


class QueueFeed:
    """Events handed over by another thread or the asyncio loop (the network intake), plus those of an
    optional inner feed (the demo's logger or a followed file)."""

    def __init__(self, inner: FileFeed | TimedFeed | None = None) -> None:
        self.inner = inner
        self._queue: queue.SimpleQueue[LoggedEvent] = queue.SimpleQueue()

    @property
    def problems(self) -> list[str]:
        """The inner feed's unusable lines (the intake answers bad messages itself)."""
        return self.inner.problems if self.inner is not None else []

    def put(self, event: LoggedEvent) -> None:
        """Hand an event to the worker (thread-safe)."""
        self._queue.put(event)

    def poll(self, head_n: int) -> list[LoggedEvent]:
        """The inner feed's due events, then everything handed over since the last poll."""
        out = self.inner.poll(head_n) if self.inner is not None else []
        while True:
            try:
                out.append(self._queue.get_nowait())
            except queue.Empty:
                return out
