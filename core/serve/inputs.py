"""What a served session listens to: its audio source and the logger feeds merged into one.

Source specs: ``demo`` (the built-in simulated match), ``demo:SEED[:MINUTES]`` (a chosen simulated
match, for schedules and tests), a media FILE, or a stream URL (udp://, srt://, rtmp://, http(s)).
Logger events come from the demo's own logger, an events FILE followed as it grows, and the network
intake, in any combination.
"""
from __future__ import annotations

import threading
from pathlib import Path

from core.errors import InputError
from core.live.demo import DEMO_MINUTES, DEMO_SEED, open_demo
from core.live.feeds import FileFeed
from core.live.sources import LiveSource, open_source
from core.model import LoggedEvent


class QueueFeed:
    """Events handed in from another thread (the network intake), released at the worker's next poll."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: list[LoggedEvent] = []
        self.problems: list[str] = []

    def put(self, event: LoggedEvent) -> None:
        """Queue one event (any thread)."""
        with self._lock:
            self._events.append(event)

    def poll(self, head_n: int) -> list[LoggedEvent]:
        """Every event queued since the last poll."""
        with self._lock:
            out, self._events = self._events, []
        return out


class MergedFeed:
    """Several feeds polled as one, in the order given."""

    def __init__(self, feeds: list) -> None:
        self.feeds = feeds

    @property
    def problems(self) -> list[str]:
        """Every feed's unusable lines."""
        return [p for feed in self.feeds for p in feed.problems]

    def poll(self, head_n: int) -> list[LoggedEvent]:
        """Events due from every feed."""
        return [event for feed in self.feeds for event in feed.poll(head_n)]


def parse_demo(spec: str) -> tuple[int, float] | None:
    """(seed, minutes) for ``demo`` or ``demo:SEED[:MINUTES]``; None for any other source."""
    if spec != "demo" and not spec.startswith("demo:"):
        return None
    parts = spec.split(":")[1:]
    try:
        seed = int(parts[0]) if parts else DEMO_SEED
        minutes = float(parts[1]) if len(parts) > 1 else DEMO_MINUTES
    except ValueError:
        raise InputError("--source", f"{spec!r}: expected demo:SEED[:MINUTES]") from None
    if len(parts) > 2 or seed < 0 or not 0 < minutes <= 150:
        raise InputError("--source", f"{spec!r}: expected demo:SEED[:MINUTES] with 0 < MINUTES <= 150")
    return seed, minutes


def check_source(spec: str) -> None:
    """Raise InputError now for a source that cannot work (bad demo spec, missing file)."""
    if parse_demo(spec) is None and "://" not in spec and not Path(spec).is_file():
        raise InputError(spec, "source file not found")


def open_inputs(source: str, speed: float, events: str | None, intake: QueueFeed | None,
                resume_n: int = 0) -> tuple[LiveSource, MergedFeed]:
    """The live source and the merged logger feed of one session; a recorded source replays the
    samples before ``resume_n`` as fast as they are analysed (a restarted session catching up)."""
    demo = parse_demo(source)
    feeds: list = []
    if demo is not None:
        live, demo_feed = open_demo(demo[0], demo[1], speed, resume_n)
        if events is None:
            feeds.append(demo_feed)
    else:
        check_source(source)
        live = open_source(source, speed, resume_n)
    if events is not None:
        if not Path(events).is_file():
            raise InputError(events, "events file not found")
        feeds.append(FileFeed(events))
    if intake is not None:
        feeds.append(intake)
    return live, MergedFeed(feeds)
