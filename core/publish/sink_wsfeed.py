"""WebSocket feed server: each client resumes after the last sequence number it saw, then goes live.

Protocol: the client's first message is ``{"token": TOKEN, "from_seq": N}`` (N = the last sequence
it has, 0 for everything). The server answers ``{"welcome": SESSION, "last_seq": L}``, then sends every
publication with ``seq > N`` in order, one JSON object per message, and heartbeats
``{"heartbeat": true, "last_seq": ...}`` every few seconds. A wrong token is answered with an error and
the connection closed. The client keeps its own cursor, so the feed itself stores none.
"""
from __future__ import annotations

import asyncio
import hmac
import json

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from core.publish.publisher import Publisher
from core.publish.runner import SinkHealth

HELLO_TIMEOUT_S = 10.0


class WsFeedServer:
    """Serves the outbox to any number of WebSocket clients, each from its own cursor."""

    def __init__(self, publisher: Publisher, tokens: tuple[str, ...], host: str = "127.0.0.1",
                 port: int = 0, name: str = "websocket", poll_s: float = 0.5) -> None:
        if not tokens or not all(tokens):
            raise ValueError("the feed needs at least one non-empty token")
        self.publisher = publisher
        self.tokens = tokens
        self.host = host
        self.port = port
        self.name = name
        self.poll_s = poll_s
        self._server: Server | None = None
        self._cursors: dict[ServerConnection, int] = {}

    async def start(self) -> None:
        """Listen, and pass heartbeats to every client."""
        self._server = await serve(self._client, self.host, self.port, max_size=4096,
                                   compression=None)
        self.port = self._server.sockets[0].getsockname()[1]
        self.publisher.on_heartbeat(self.heartbeat)

    async def close(self) -> None:
        """Stop listening and drop every client."""
        self.publisher.off_heartbeat(self.heartbeat)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def addresses(self) -> list[tuple[str, int]]:
        """Every (host, port) the feed is bound to."""
        assert self._server is not None
        return [sock.getsockname()[:2] for sock in self._server.sockets]

    def health(self) -> SinkHealth:
        """Clients connected and how far the slowest one lags."""
        last = self.publisher.last_seq
        slowest = min(self._cursors.values(), default=last)
        return SinkHealth(self.name, "ok" if self._server is not None else "stopped", slowest,
                          last, max(0, last - slowest), 0, None)

    async def heartbeat(self, message: dict) -> None:
        """Send a heartbeat to every connected client."""
        text = json.dumps(message)
        for connection in list(self._cursors):
            try:
                await connection.send(text)
            except ConnectionClosed:
                continue

    def _token_ok(self, token: object) -> bool:
        if not isinstance(token, str):
            return False
        return any(hmac.compare_digest(token.encode(), t.encode()) for t in self.tokens)

    async def _client(self, connection: ServerConnection) -> None:
        try:
            hello = json.loads(await asyncio.wait_for(connection.recv(), HELLO_TIMEOUT_S))
            if not isinstance(hello, dict) or not self._token_ok(hello.get("token")):
                await connection.send(json.dumps({"error": "bad token", "field": "token"}))
                await connection.close(1008, "bad token")
                return
            cursor = hello.get("from_seq", 0)
            if isinstance(cursor, bool) or not isinstance(cursor, int) or cursor < 0:
                await connection.send(json.dumps({"error": "from_seq must be an integer >= 0",
                                                  "field": "from_seq"}))
                await connection.close(1008, "bad from_seq")
                return
            await connection.send(json.dumps({"welcome": self.publisher.outbox.session,
                                              "last_seq": self.publisher.last_seq}))
            self._cursors[connection] = cursor
            await self._stream(connection, cursor)
        except (ConnectionClosed, TimeoutError, ValueError, UnicodeDecodeError):
            return
        finally:
            self._cursors.pop(connection, None)

    async def _stream(self, connection: ServerConnection, cursor: int) -> None:
        while connection.state is State.OPEN:
            pubs = await self.publisher.bodies_after(cursor)
            if not pubs:
                await self.publisher.wait_beyond(cursor, self.poll_s)
                continue
            for cursor, body in pubs:
                await connection.send(body)
            self._cursors[connection] = cursor
