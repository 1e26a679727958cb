"""Publishing as one service: the outbox, its publisher, and the sinks named on a command line or in
settings, with one health list for the console.

Sink specs (``--sink`` on the command line, one per sink):
``jsonl:PATH``, ``webhook:URL``, ``mqtt:HOST:PORT/PREFIX``, ``ws:HOST:PORT`` (the WebSocket feed;
``ws:PORT`` binds 127.0.0.1).
"""
from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from pathlib import Path

from core.errors import InputError
from core.publish.message import Draft, Publication
from core.publish.outbox import Outbox
from core.publish.publisher import HEARTBEAT_S, Publisher
from core.publish.runner import Sink, SinkHealth, SinkRunner
from core.publish.sink_jsonl import JsonlSink
from core.publish.sink_mqtt import MqttSink
from core.publish.sink_webhook import WebhookSink
from core.publish.sink_wsfeed import WsFeedServer

SINK_KINDS = ("jsonl", "webhook", "mqtt", "ws")


@dataclass(frozen=True, slots=True)
class SinkSpec:
    """One configured sink: its kind and where it goes."""

    kind: str
    target: str
    host: str = "127.0.0.1"
    port: int = 0

    @property
    def name(self) -> str:
        """The sink's name, which keys its cursor in the outbox."""
        return f"{self.kind}:{self.target}" if self.kind != "ws" else f"ws:{self.host}:{self.port}"


def _port(text: str, spec: str) -> int:
    if not text.isdigit() or not 0 <= int(text) < 65536:
        raise InputError("--sink", f"{spec!r}: port must be a number from 0 to 65535")
    return int(text)


def parse_sink(spec: str) -> SinkSpec:
    """A ``SinkSpec`` from its command-line form; InputError naming the spec when it is wrong."""
    kind, sep, rest = spec.partition(":")
    if not sep or kind not in SINK_KINDS or not rest:
        raise InputError("--sink", f"{spec!r}: expected one of jsonl:PATH, webhook:URL, "
                                   "mqtt:HOST:PORT/PREFIX, ws:[HOST:]PORT")
    if kind == "jsonl":
        return SinkSpec("jsonl", rest)
    if kind == "webhook":
        if not rest.startswith(("http://", "https://")):
            raise InputError("--sink", f"{spec!r}: the webhook URL must start with http:// or https://")
        return SinkSpec("webhook", rest)
    if kind == "mqtt":
        address, slash, prefix = rest.partition("/")
        host, colon, port = address.rpartition(":")
        if not slash or not prefix or not colon or not host:
            raise InputError("--sink", f"{spec!r}: expected mqtt:HOST:PORT/PREFIX")
        return SinkSpec("mqtt", prefix, host, _port(port, spec))
    host, _, port = rest.rpartition(":")
    return SinkSpec("ws", "feed", host or "127.0.0.1", _port(port, spec))


class Publishing:
    """The outbox and every configured sink, started and stopped together."""

    def __init__(self, db_path: str | Path, session: str, specs: list[SinkSpec],
                 feed_tokens: tuple[str, ...] = (), fps: str = "25",
                 heartbeat_s: float = HEARTBEAT_S) -> None:
        self.publisher = Publisher(Outbox(db_path, session, fps=fps), heartbeat_s)
        self.specs = specs
        self.feed_tokens = feed_tokens
        self.runners: list[SinkRunner] = []
        self.feeds: list[WsFeedServer] = []
        self._tasks: list[asyncio.Task] = []

    def _sink(self, spec: SinkSpec) -> Sink:
        if spec.kind == "jsonl":
            return JsonlSink(spec.target, name=spec.name)
        if spec.kind == "webhook":
            return WebhookSink(spec.target, name=spec.name)
        return MqttSink(spec.host, spec.port, spec.target, self.publisher.outbox.session,
                        name=spec.name)

    async def start(self) -> None:
        """Start the publisher, the feed servers and a runner per cursor-based sink."""
        await self.publisher.start()
        for spec in self.specs:
            if spec.kind == "ws":
                feed = WsFeedServer(self.publisher, self.feed_tokens, spec.host, spec.port,
                                    name=spec.name)
                await feed.start()
                self.feeds.append(feed)
            else:
                runner = SinkRunner(self._sink(spec), self.publisher)
                self.runners.append(runner)
                self._tasks.append(asyncio.create_task(runner.run(), name=spec.name))

    async def publish(self, draft: Draft) -> Publication:
        """Append a draft durably; the sinks take it from the outbox."""
        return await self.publisher.publish(draft)

    def health(self) -> list[SinkHealth]:
        """Every sink's health: cursor-based sinks first, then the WebSocket feeds."""
        return [r.health() for r in self.runners] + [f.health() for f in self.feeds]

    async def close(self) -> None:
        """Stop every sink, then the publisher."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for runner in self.runners:
            await runner.sink.close()
        for feed in self.feeds:
            await feed.close()
        await self.publisher.close()
        self.publisher.outbox.close()
