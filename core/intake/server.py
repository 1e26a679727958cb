"""The intake server: WebSocket and TCP JSON-lines endpoints that turn logger messages into events.

Protocol (both endpoints): the first message is ``{"hello": NAME, "token": TOKEN}`` (on WebSocket an
``Authorization: Bearer TOKEN`` header with an ``X-Logger-Name`` header may replace it). Every later
message is one logged event as the contract defines it, answered by ``{"ack": ID, "revision": R}`` once
the ``on_event`` callback has taken it (``"resend": true`` when it repeats the latest version unchanged),
or by ``{"error": PROBLEM, "field": FIELD}``. A bad message never closes the connection; a missing or
wrong token, any error before the hello, or a sustained flood past the rate limit does. Answers come in
message order; a named logger's events are handed on as they are read, without waiting for the earlier
ones to be taken (at most ``MAX_IN_FLIGHT`` per connection), so a logger's rate is not bounded by how long
storing one event takes.

Limits: messages of at most ``max_message_bytes`` UTF-8 bytes (larger ones get an error; WebSocket
frames beyond 16 times that close the connection, as the library enforces), and a token bucket of
``rate_per_s`` messages per second with ``burst`` allowance per connection. Non-UTF-8 bytes are
answered with an error on TCP and in binary WebSocket frames; a text WebSocket frame that is not UTF-8
is a protocol violation the WebSocket library closes (code 1007).
"""
from __future__ import annotations

import asyncio
import hmac
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from core.intake.ratelimit import TokenBucket
from core.intake.revisions import RevisionBook
from core.intake.schema import MessageError, decode_object, parse_event, parse_hello
from core.model import LoggedEvent

MAX_IN_FLIGHT = 256
"""Events of one connection handed on and not yet answered; the connection is not read beyond them."""


@dataclass(frozen=True, slots=True)
class IntakeConfig:
    """Where the intake listens and what it accepts. A port of 0 picks a free one; None disables."""

    tokens: tuple[str, ...]
    host: str = "127.0.0.1"
    ws_port: int | None = 0
    tcp_port: int | None = 0
    max_message_bytes: int = 4096
    rate_per_s: float = 100.0
    burst: float = 200.0


@dataclass(frozen=True, slots=True)
class IntakeItem:
    """A valid event from a named logger; ``revision`` counts its versions (1 = first)."""

    logger: str
    event: LoggedEvent
    revision: int
    received: float


EventHandler = Callable[[IntakeItem], Awaitable[None]]


class _Conversation:
    """One connection's state: who it is, its rate budget, and the reply to each message."""

    def __init__(self, server: "IntakeServer", name: str | None) -> None:
        self.server = server
        self.name = name
        cfg = server.config
        self.bucket = TokenBucket(cfg.rate_per_s, cfg.burst)
        self.limited = 0

    def check(self, raw: bytes | str | MessageError) -> tuple[dict | LoggedEvent, bool]:
        """(the reply, or the valid event to hand on; close the connection) for one incoming message (or one
        already found bad)."""
        cfg = self.server.config
        if not self.bucket.take():
            self.limited += 1
            if self.limited > cfg.burst:
                return MessageError("flood: too many messages over the rate limit, closing").reply(), True
            return MessageError(f"rate limit exceeded ({cfg.rate_per_s:g} messages/s)").reply(), False
        self.limited = 0
        try:
            if isinstance(raw, MessageError):
                raise raw
            obj = decode_object(raw, cfg.max_message_bytes)
            if self.name is None:
                name, token = parse_hello(obj)
                if not self.server.token_ok(token):
                    raise MessageError("bad token", "token")
                self.name = name
                self.server.loggers[name] += 1
                return {"welcome": name}, False
            event = parse_event(obj)
        except MessageError as err:
            return err.reply(), self.name is None
        return event, False

    def end(self) -> None:
        """The connection is gone."""
        if self.name is not None:
            self.server.loggers[self.name] -= 1
            if not self.server.loggers[self.name]:
                del self.server.loggers[self.name]


class IntakeServer:
    """Both endpoints, one revision book, one callback that receives valid events in arrival order."""

    def __init__(self, config: IntakeConfig, on_event: EventHandler) -> None:
        if not config.tokens or not all(config.tokens):
            raise ValueError("the intake needs at least one non-empty token")
        self.config = config
        self.on_event = on_event
        self.book = RevisionBook()
        self._handing: dict[str, tuple[int, asyncio.Future[bool]]] = {}
        """Per event id, the revision being handed on and whether that succeeded (once known)."""
        self._ws: Server | None = None
        self._tcp: asyncio.Server | None = None
        self._tcp_writers: set[asyncio.StreamWriter] = set()
        self.loggers: Counter[str] = Counter()
        """Connections open per logger name."""
        self.accepted = 0
        self.errors = 0
        self.refused = 0

    def token_ok(self, token: str) -> bool:
        """Constant-time comparison against every configured token."""
        given = token.encode()
        return any(hmac.compare_digest(given, t.encode()) for t in self.config.tokens)

    async def take(self, logger: str, event: LoggedEvent) -> dict:
        """Hand a valid event on (unless it is an unchanged resend) and build its acknowledgement. A resend
        of a version still being handed on is acknowledged once that succeeds (and taken if it fails)."""
        revision, resend = self.book.record(event)
        if resend:
            handing = self._handing.get(event.id)
            if handing is not None and handing[0] == revision and not await asyncio.shield(handing[1]):
                return await self.take(logger, event)
            return {"ack": event.id, "revision": revision, "resend": True}
        taken = asyncio.get_running_loop().create_future()
        self._handing[event.id] = (revision, taken)
        try:
            await self.on_event(IntakeItem(logger, event, revision, time.time()))
            taken.set_result(True)
        except Exception as exc:  # the handler's failure is the logger's error reply, not a crash
            self.book.forget(event, revision)
            taken.set_result(False)
            return MessageError(f"not stored: {exc}").reply()
        finally:
            if not taken.done():  # cancelled: the book keeps it, as a taken event's
                taken.set_result(True)
            if self._handing.get(event.id, (0, None))[1] is taken:
                del self._handing[event.id]
        self.accepted += 1
        return {"ack": event.id, "revision": revision}

    async def start(self) -> None:
        """Open the configured endpoints."""
        cfg = self.config
        if cfg.ws_port is not None:
            self._ws = await serve(self._ws_session, cfg.host, cfg.ws_port,
                                   process_request=self._ws_auth, max_size=16 * cfg.max_message_bytes,
                                   compression=None)
        if cfg.tcp_port is not None:
            self._tcp = await asyncio.start_server(self._tcp_session, cfg.host, cfg.tcp_port,
                                                   limit=cfg.max_message_bytes + 1)

    async def close(self) -> None:
        """Stop listening and drop every connection."""
        if self._ws is not None:
            self._ws.close()
            await self._ws.wait_closed()
        if self._tcp is not None:
            self._tcp.close()
            for writer in list(self._tcp_writers):
                writer.close()
            await self._tcp.wait_closed()

    def addresses(self) -> list[tuple[str, int]]:
        """Every (host, port) a socket of this server is bound to."""
        servers = [s for s in (self._ws, self._tcp) if s is not None]
        return [sock.getsockname()[:2] for s in servers for sock in s.sockets]

    @property
    def ws_port(self) -> int:
        """The WebSocket endpoint's port."""
        assert self._ws is not None
        return self._ws.sockets[0].getsockname()[1]

    @property
    def tcp_port(self) -> int:
        """The TCP JSON-lines endpoint's port."""
        assert self._tcp is not None
        return self._tcp.sockets[0].getsockname()[1]

    def _count(self, answer: dict, close: bool) -> None:
        self.errors += "error" in answer
        self.refused += close

    def _ws_auth(self, connection: ServerConnection, request: Request) -> Response | None:
        header = request.headers.get("Authorization")
        if header is None:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not self.token_ok(token.strip()):
            self.refused += 1
            return connection.respond(HTTPStatus.UNAUTHORIZED, "bad token\n")
        return None

    async def _ws_session(self, connection: ServerConnection) -> None:
        name = None
        if connection.request is not None and "Authorization" in connection.request.headers:
            name = connection.request.headers.get("X-Logger-Name") or "anonymous"
            self.loggers[name] += 1
        talk = _Conversation(self, name)
        try:
            closing = await self._converse(talk, connection.recv, lambda a: connection.send(json.dumps(a)))
            if closing is not None:
                await connection.close(1008, closing["error"][:100])
        except ConnectionClosed:
            return
        finally:
            talk.end()

    async def _tcp_session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        talk = _Conversation(self, None)
        self._tcp_writers.add(writer)

        async def receive() -> bytes | MessageError | None:
            while (raw := await _read_line(reader, self.config.max_message_bytes)) is not None:
                if not isinstance(raw, bytes) or raw.strip():
                    return raw
            return None

        async def send(answer: dict) -> None:
            writer.write(json.dumps(answer).encode() + b"\n")
            await writer.drain()

        try:
            await self._converse(talk, receive, send)
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            talk.end()
            self._tcp_writers.discard(writer)
            writer.close()

    async def _converse(self, talk: _Conversation, receive: Callable[[], Awaitable[bytes | str | None]],
                        send: Callable[[dict], Awaitable[None]]) -> dict | None:
        """Read messages with ``receive`` until it returns None (or raises) and answer each with ``send``, in
        order; each valid event is handed on as soon as it is read. Returns the answer that closes the
        connection, when one does (nothing after it is read)."""
        answers: asyncio.Queue[dict | asyncio.Task | None] = asyncio.Queue()
        room = asyncio.Semaphore(MAX_IN_FLIGHT)
        sender = asyncio.ensure_future(self._answer(answers, send, room))
        try:
            while (raw := await receive()) is not None:
                answer, close = talk.check(raw)
                if isinstance(answer, LoggedEvent):
                    await room.acquire()
                    answers.put_nowait(asyncio.ensure_future(self.take(talk.name, answer)))
                    continue
                self._count(answer, close)
                answers.put_nowait(answer)
                if close:
                    return answer
            return None
        finally:
            answers.put_nowait(None)
            await sender

    async def _answer(self, answers: asyncio.Queue, send: Callable[[dict], Awaitable[None]],
                      room: asyncio.Semaphore) -> None:
        """Send the answers in message order, each once known; after a failed send, only wait for them."""
        connected = True
        while (answer := await answers.get()) is not None:
            if isinstance(answer, asyncio.Task):
                answer = await answer
                room.release()
                self._count(answer, False)
            if connected:
                try:
                    await send(answer)
                except (ConnectionClosed, ConnectionError):
                    connected = False


async def _read_line(reader: asyncio.StreamReader, limit: int) -> bytes | MessageError | None:
    """The next line without its end; an over-long line is skipped whole and comes back as the
    error to answer it with. None at end of stream."""
    try:
        line = await reader.readuntil(b"\n")
    except asyncio.IncompleteReadError as exc:
        return exc.partial or None
    except asyncio.LimitOverrunError as exc:
        skipped = await _skip_line(reader, exc.consumed)
        too_large = MessageError(f"message too large: more than {limit} bytes, limit {limit}")
        return too_large if skipped else None
    return line.rstrip(b"\r\n")


async def _skip_line(reader: asyncio.StreamReader, consumed: int) -> bool:
    """Discard bytes through the next newline; False when the stream ends first."""
    while True:
        await reader.readexactly(consumed)
        try:
            await reader.readuntil(b"\n")
            return True
        except asyncio.LimitOverrunError as exc:
            consumed = exc.consumed
        except asyncio.IncompleteReadError:
            return False

