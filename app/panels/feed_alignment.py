"""Extra feeds aligned to the master as the console plays: a thread reads the master file and each feed
file up to the console's playhead (live pace, beside the master) and feeds the streaming aligner."""
from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from core.align import AlignmentReading, MultiAligner
from core.align.offline import ALIGN_RATE
from core.errors import InputError
from core.ingest.media import open_media

SEARCH_S = 10.0
"""Largest offset searched live, either way (a window waits for this much master audio beyond it)."""
POLL_S = 0.1
BLOCK_S = 0.25


def feed_names(paths: list[str]) -> list[str]:
    """A short display name per feed: its file name (with its index when two share one)."""
    names = [Path(p).name for p in paths]
    return [f"{n} ({i + 1})" if names.count(n) > 1 else n for i, n in enumerate(names)]


class FeedAlignmentWorker:
    """Aligns ``feeds`` to ``master`` on its own thread, reading both up to the playhead ``head_s()`` (media
    seconds); ``readings`` receives every AlignmentReading."""

    def __init__(self, master: str, feeds: list[str], channel: int | None = None,
                 rate: int = ALIGN_RATE) -> None:
        for path in [master, *feeds]:
            with open_media(path, channel=channel):  # a bad file raises InputError now, not on the thread
                pass
        if master in feeds:
            raise InputError(master, "is the master: a feed must be another file")
        self.master = master
        self.feeds = dict(zip(feed_names(feeds), feeds))
        self.head_s: Callable[[], float] = lambda: 0.0
        self.channel = channel
        self.rate = rate
        self.readings: queue.SimpleQueue[AlignmentReading] = queue.SimpleQueue()
        self.error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run_safely, name="feed-align", daemon=True)

    def start(self, head_s: Callable[[], float]) -> None:
        """Start reading and aligning up to the playhead ``head_s()``."""
        self.head_s = head_s
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and wait for it."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5.0)

    def _run_safely(self) -> None:
        try:
            self._run()
        except Exception as exc:  # noqa: BLE001 - shown in the panel; the console keeps running
            self.error = f"{type(exc).__name__}: {exc}"[:200]

    def _run(self) -> None:
        block = int(BLOCK_S * self.rate)
        aligner = MultiAligner(self.rate, search_s=SEARCH_S)
        with ExitStack() as stack:
            def reader(path: str):
                return iter(stack.enter_context(open_media(path, channel=self.channel, rate=self.rate,
                                                           block_samples=block)))
            streams = {None: reader(self.master), **{name: reader(p) for name, p in self.feeds.items()}}
            for name in self.feeds:
                aligner.add_feed(name)
            read = dict.fromkeys(streams, 0)
            while not self._stop.is_set():
                target = int(self.head_s() * self.rate)
                for key in list(streams):
                    while read[key] < target:
                        b = next(streams[key], None)
                        if b is None:
                            del streams[key]
                            if key is None:
                                aligner.finish()
                            break
                        if key is None:
                            aligner.push_master(b.samples)
                        else:
                            aligner.push_feed(key, b.samples)
                        read[key] += len(b.samples)
                for r in aligner.poll():
                    self.readings.put(r)
                self._stop.wait(POLL_S)
