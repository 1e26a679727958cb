"""NATS JetStream sink: one stream per competition, one subject per match, server-side dedupe.

Spec (``--sink``): ``nats:HOST:PORT[,HOST:PORT...]/COMPETITION[/MATCH][?replicas=N]``. List every
node of a cluster so the client can fail over. The stream ``MATCHSYNC_<COMPETITION>`` holds the
subjects ``matchsync.<COMPETITION>.*``; each match publishes on ``matchsync.<COMPETITION>.<MATCH>``
(MATCH defaults to the session name) with the header ``Nats-Msg-Id: MATCH:id:revision``, so a revision
the sink re-sends after a failover or a restart is dropped by the server within the duplicate window.
(JetStream deduplicates per stream and event ids are unique only within a match, so the id carries the
match's subject token: two matches' ``ev-0001:1`` must both be stored.)
Replicas default to the number of listed servers, at most 3. Heartbeats go on the plain (not
JetStream) subject ``matchsync_heartbeat.<COMPETITION>.<MATCH>``, outside the stream.

``follow_match`` is the consumer side: any console or tool can replay and follow one match.
"""
from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import nats
from nats.js.api import DeliverPolicy, StreamConfig
from nats.js.errors import NotFoundError

from core.publish.message import Publication

DUPLICATE_WINDOW_S = 600.0
"""How long the server remembers message ids (a revision re-sent within it is stored once)."""
CLOSE_TIMEOUT_S = 5.0
"""Seconds a closing sink waits for its connection to flush."""
SUBSCRIBE_PATIENCE_S = 30.0
"""How long a follower that stops when idle keeps trying to create its consumer (the first requests
after a node died can go unanswered while the cluster notices)."""


class NatsSpecError(ValueError):
    """A NATS sink spec that cannot be used."""


def token(name: str) -> str:
    """``name`` as one NATS subject token and stream-name part (no dots, spaces or wildcards)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_") or "_"


@dataclass(frozen=True, slots=True)
class NatsTarget:
    """Where a match goes: the cluster's servers, the competition's stream, the match's subject."""

    servers: tuple[str, ...]
    competition: str
    match: str | None = None
    replicas: int = 1

    @classmethod
    def parse(cls, text: str) -> "NatsTarget":
        """From ``HOST:PORT[,HOST:PORT...]/COMPETITION[/MATCH][?replicas=N]`` (after ``nats:``)."""
        path, _, query = text.partition("?")
        parts = path.split("/")
        if len(parts) not in (2, 3) or not all(parts):
            raise NatsSpecError("expected nats:HOST:PORT[,HOST:PORT...]/COMPETITION[/MATCH]")
        servers = []
        for address in parts[0].split(","):
            host, colon, port = address.removeprefix("nats://").rpartition(":")
            if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise NatsSpecError(f"server {address!r} is not HOST:PORT")
            servers.append(f"nats://{host}:{port}")
        replicas = min(3, len(servers))
        if query:
            key, _, value = query.partition("=")
            if key != "replicas" or not value.isdigit() or not 1 <= int(value) <= 5:
                raise NatsSpecError("the only option is ?replicas=N with N from 1 to 5")
            replicas = int(value)
        return cls(tuple(servers), parts[1], parts[2] if len(parts) == 3 else None, replicas)

    @property
    def stream(self) -> str:
        """The competition's stream name."""
        return f"MATCHSYNC_{token(self.competition)}"

    def subject(self, match: str) -> str:
        """The match's subject in the competition's stream."""
        return f"matchsync.{token(self.competition)}.{token(self.match or match)}"


async def _quiet(exc: Exception) -> None:
    """Connection errors show as failed publishes in the sink's health, not as log noise."""


async def connect(servers: Sequence[str]) -> nats.NATS:
    """A client that keeps reconnecting to any of ``servers`` for as long as it lives."""
    return await nats.connect(list(servers), max_reconnect_attempts=-1, reconnect_time_wait=0.2,
                              connect_timeout=2, allow_reconnect=True, error_cb=_quiet)


async def ensure_stream(js, target: NatsTarget) -> None:
    """Create the competition's stream unless it exists (several serve instances may race: an
    identical config is accepted by the server)."""
    try:
        await js.stream_info(target.stream)
    except NotFoundError:
        await js.add_stream(StreamConfig(
            name=target.stream, subjects=[f"matchsync.{token(target.competition)}.*"],
            num_replicas=target.replicas, duplicate_window=DUPLICATE_WINDOW_S))


class NatsSink:
    """Publishes each revision to JetStream and waits for the stream's acknowledgement."""

    batch_size = 100

    def __init__(self, target: NatsTarget, session: str, name: str = "nats",
                 ack_timeout_s: float = 2.0) -> None:
        self.target = target
        self.name = name
        self.subject = target.subject(session)
        self.match_token = self.subject.rsplit(".", 1)[1]
        self.heartbeat_subject = self.subject.replace("matchsync.", "matchsync_heartbeat.", 1)
        self.ack_timeout_s = ack_timeout_s
        self.duplicates = 0
        """Publications the server recognised as already stored (re-sent after a failure)."""
        self.failures = 0
        """Batches that failed (the runner re-sends them from its cursor)."""
        self._nc: nats.NATS | None = None
        self._js = None
        self._stream_ready = False

    async def _jetstream(self):
        if self._nc is None:
            self._nc = await connect(self.target.servers)
            self._js = self._nc.jetstream(timeout=self.ack_timeout_s)
        if not self._stream_ready:
            await ensure_stream(self._js, self.target)
            self._stream_ready = True
        return self._js

    async def deliver(self, pubs: Sequence[Publication]) -> None:
        """Publish the batch in order; raise on the first revision the stream did not acknowledge."""
        try:
            js = await self._jetstream()
            for pub in pubs:
                ack = await js.publish(self.subject, pub.to_json().encode(), timeout=self.ack_timeout_s,
                                       stream=self.target.stream,
                                       headers={"Nats-Msg-Id": self.message_id(pub)})
                self.duplicates += bool(ack.duplicate)
        except Exception:
            self.failures += 1
            raise

    def message_id(self, pub: Publication) -> str:
        """The dedupe key of one revision within the competition's stream."""
        return f"{self.match_token}:{pub.id}:{pub.revision}"

    async def heartbeat(self, message: dict) -> None:
        """Publish the heartbeat on plain NATS (not stored)."""
        if self._nc is not None and self._nc.is_connected:
            await self._nc.publish(self.heartbeat_subject, json.dumps(message).encode())

    async def close(self) -> None:
        """Flush and close the connection (give up flushing after a few seconds: everything not
        acknowledged is still in the outbox)."""
        if self._nc is not None:
            try:
                await asyncio.wait_for(self._nc.drain(), CLOSE_TIMEOUT_S)
            except (TimeoutError, nats.errors.Error):
                await self._nc.close()
            self._nc = None


async def _subscribe(js, target: NatsTarget, match: str, patience_s: float | None):
    """An ordered consumer of the match's subject from its first message; retried while the stream
    does not exist yet or the cluster elects a new leader (for ``patience_s`` seconds, None: always)."""
    loop = asyncio.get_running_loop()
    give_up = None if patience_s is None else loop.time() + patience_s
    while True:
        try:
            return await js.subscribe(target.subject(match), stream=target.stream, ordered_consumer=True,
                                      deliver_policy=DeliverPolicy.ALL)
        except (TimeoutError, nats.errors.Error):
            if give_up is not None and loop.time() >= give_up:
                raise
            await asyncio.sleep(0.5)


async def follow_stream(servers: Sequence[str], competition: str, match: str,
                        idle_s: float | None = None) -> AsyncIterator[tuple[int, Publication]]:
    """Every publication of one match from the start of the stream, then live ones, each revision
    once (by ``id`` and ``revision``), with its stream sequence; stops after ``idle_s`` seconds
    without a message, if given."""
    target = NatsTarget(tuple(servers), competition, match)
    nc = await connect(servers)
    try:
        js = nc.jetstream(timeout=2.0)
        patience = None if idle_s is None else max(idle_s, SUBSCRIBE_PATIENCE_S)
        sub = await _subscribe(js, target, match, patience)
        seen: set[tuple[str, int]] = set()
        while True:
            try:
                msg = await sub.next_msg(timeout=idle_s if idle_s is not None else 3600.0)
            except TimeoutError:
                if idle_s is not None:
                    return
                continue
            pub = Publication.from_json(msg.data.decode())
            if (pub.id, pub.revision) not in seen:
                seen.add((pub.id, pub.revision))
                yield msg.metadata.sequence.stream, pub
    finally:
        await nc.close()


async def follow_match(servers: Sequence[str], competition: str, match: str,
                       idle_s: float | None = None) -> AsyncIterator[Publication]:
    """``follow_stream`` without the stream sequences."""
    async for _, pub in follow_stream(servers, competition, match, idle_s):
        yield pub
