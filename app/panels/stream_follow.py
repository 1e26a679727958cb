"""Following one match from its NATS JetStream stream, read-only: the newest revision of each published
event as it arrives, with its stream sequence and lag. The consumer is a task on the GUI thread's
asyncio (qasync) loop; the panel re-reads the follower's rows on a timer, so the GUI never waits on NATS."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timezone

from app.views.cells import set_row
from app.views.table_panel import TablePanel
from core.errors import InputError
from core.publish.message import Publication
from core.publish.sink_nats import NatsSpecError, NatsTarget, follow_stream

URL_FORMAT = "nats://HOST:PORT[,HOST:PORT...]/COMPETITION/MATCH"
REFRESH_MS = 500
PROBE_S = 3.0
"""Seconds without any publication after which the follower checks that some server answers at all."""
STOP_RETRY_S = 0.5
"""Seconds between cancellations of a stopping follower's tasks."""
RETRY_S = 2.0
"""Pause before the follower starts over after an unexpected error."""
COLUMNS = ("id", "type", "status", "rev", "media s", "timecode", "correction ms", "operator", "stream seq",
           "lag s")
STATUS_COLOURS = {"provisional": "#f2c14e", "confirmed": "#3ecf8e", "corrected": "#4fa3ff",
                  "cancelled": "#ff6b6b"}


def parse_follow_url(text: str) -> NatsTarget:
    """The servers, competition and match of ``nats://HOST:PORT[,HOST:PORT...]/COMPETITION/MATCH``;
    InputError (``--follow``) says what is wrong."""
    rest = text.removeprefix("nats://")
    try:
        if rest == text:
            raise NatsSpecError("not a nats:// URL")
        target = NatsTarget.parse(rest)
        if target.match is None:
            raise NatsSpecError("no MATCH after the competition")
    except NatsSpecError as exc:
        raise InputError("--follow", f"{text!r}: {exc} (expected {URL_FORMAT})") from None
    return target


@dataclass(frozen=True, slots=True)
class FollowedRevision:
    """The newest revision of one event seen on the stream, where it sits in the stream and how late it
    reached this console (arrival minus ``published_at``, seconds)."""

    publication: Publication
    stream_seq: int
    lag_s: float


def lag_s(pub: Publication, now: datetime) -> float:
    """Seconds from the publication's ``published_at`` to ``now``."""
    return (now - datetime.fromisoformat(pub.published_at)).total_seconds()


class StreamFollower:
    """Follows one match's subject; ``rows`` holds the newest revision per event id (first-seen order)."""

    def __init__(self, target: NatsTarget) -> None:
        self.target = target
        self.rows: dict[str, FollowedRevision] = {}
        self.received = 0
        """Revisions received (every one, older revisions of an id included)."""
        self.problem: str | None = None
        self._tasks: list[asyncio.Task] = []

    @property
    def where(self) -> str:
        """The servers and subject, for titles and status lines."""
        return f"{','.join(self.target.servers)} {self.target.subject('')}"

    def start(self) -> None:
        """Start consuming on the running asyncio loop."""
        self._tasks = [asyncio.ensure_future(self._follow()), asyncio.ensure_future(self._probe())]

    async def stop(self) -> None:
        """Stop consuming and close the connection. The cancellation is repeated until it lands: the
        client's connect loop can swallow one (Python 3.11's ``wait_for`` race) and keep retrying."""
        pending = set(self._tasks)
        while pending:
            for task in pending:
                task.cancel()
            _, pending = await asyncio.wait(pending, timeout=STOP_RETRY_S)

    def take(self, stream_seq: int, pub: Publication) -> None:
        """Record one revision from the stream (an older revision than the one shown is counted only)."""
        self.received += 1
        self.problem = None
        shown = self.rows.get(pub.id)
        if shown is None or pub.revision > shown.publication.revision:
            self.rows[pub.id] = FollowedRevision(pub, stream_seq, lag_s(pub, datetime.now(timezone.utc)))

    async def _follow(self) -> None:
        t = self.target
        while True:
            try:
                async for seq, pub in follow_stream(t.servers, t.competition, t.match):
                    self.take(seq, pub)
            except Exception as exc:  # noqa: BLE001 - shown in the status line, then retried
                self.problem = f"follow failed: {exc or type(exc).__name__} (retrying)"
                await asyncio.sleep(RETRY_S)

    async def _probe(self) -> None:
        """While nothing has arrived, say so if no server accepts a connection at all."""
        while True:
            await asyncio.sleep(PROBE_S)
            if self.received:
                return
            if not any([await _answers(url) for url in self.target.servers]):
                self.problem = f"no NATS server answers at {', '.join(self.target.servers)} (still trying)"


async def _answers(url: str) -> bool:
    """True if ``nats://HOST:PORT`` accepts a TCP connection within a second."""
    host, _, port = url.removeprefix("nats://").rpartition(":")
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), 1.0)
    except (OSError, TimeoutError):
        return False
    writer.close()
    return True


def row_cells(row: FollowedRevision) -> tuple[str, ...]:
    """The table's cell texts for one event."""
    p = row.publication
    return (p.id, p.type, p.status, str(p.revision), f"{p.t:.2f}", p.timecode, f"{p.correction_ms:+d}",
            p.operator or "", str(row.stream_seq), f"{row.lag_s:.2f}")


class FollowPanel(TablePanel):
    """The followed match: one row per event id, updated in place when a newer revision arrives."""

    def __init__(self, follower: StreamFollower) -> None:
        super().__init__(COLUMNS)
        self.follower = follower
        self.start_refreshing(REFRESH_MS)

    def rows(self) -> list[tuple[str, ...]]:
        """The cell texts shown, top to bottom."""
        return [tuple(self.table.item(r, c).text() for c in range(len(COLUMNS)))
                for r in range(self.table.rowCount())]

    def refresh(self) -> None:
        """Show the follower's rows and state."""
        f = self.follower
        rows = list(f.rows.values())
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            set_row(self.table, r, row_cells(row), {2: STATUS_COLOURS.get(row.publication.status, "#d5dde5")})
        state = f.problem or (f"{len(rows)} events, {f.received} revisions received" if f.received
                              else "waiting for the first publication")
        self.summary.setText(f"following {f.where} (read-only) — {state}")
