"""Session states as a match day goes: one stdout line per change, a JSON status file the console
reads (rewritten atomically on every change), and the same JSON over HTTP (``GET /status`` with
``Authorization: Bearer TOKEN``, bound to 127.0.0.1 unless told otherwise)."""
from __future__ import annotations

import asyncio
import hmac
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import TextIO

from core.files import write_text_atomic
from core.serve.session import SessionReport

STATES = ("scheduled", "starting", "live", "finished", "failed")


class StatusBoard:
    """The latest report of every session, printed and written to ``path`` (if given) on each change."""

    def __init__(self, path: str | Path | None, out: TextIO | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self.out = out or sys.stdout
        self.reports: dict[str, SessionReport] = {}
        self.history: list[tuple[str, str, str]] = []
        """(session, state, ISO time on the scheduler's clock) for every change, in order."""

    def update(self, report: SessionReport, when: datetime | None = None) -> None:
        """Record a session's new state."""
        stamp = (when or report.stopped or report.live or report.started
                 or datetime.now(timezone.utc)).isoformat(timespec="seconds")
        self.reports[report.name] = report
        self.history.append((report.name, report.state, stamp))
        detail = f" ({report.reason})" if report.reason and report.state in ("finished", "failed") else ""
        if report.error:
            detail += f": {report.error}"
        counts = "" if report.state == "scheduled" else f" events={report.events} published={report.published}"
        print(f"{stamp} {report.name} {report.state}{detail}{counts}", file=self.out, flush=True)
        self.write()

    def snapshot(self) -> dict:
        """Every session's latest report, as the status file holds it."""
        return {"updated": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                "sessions": [r.to_json() for r in self.reports.values()]}

    def write(self) -> None:
        """Write the status file atomically."""
        if self.path is None:
            return
        write_text_atomic(self.path, json.dumps(self.snapshot(), indent=1))


class StatusServer:
    """Answers ``GET /status`` with the board's snapshot; 401 without the token, 404 elsewhere."""

    def __init__(self, board: StatusBoard, tokens: tuple[str, ...], host: str = "127.0.0.1",
                 port: int = 0) -> None:
        if not tokens or not all(tokens):
            raise ValueError("the status endpoint needs at least one non-empty token")
        self.board = board
        self.tokens = tokens
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        """Listen."""
        self._server = await asyncio.start_server(self._client, self.host, self.port, limit=8192)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def _authorised(self, headers: dict[str, str]) -> bool:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and any(
            hmac.compare_digest(token.strip().encode(), t.encode()) for t in self.tokens)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = (await asyncio.wait_for(reader.readline(), 10)).decode("latin-1").split()
            headers = {}
            while (line := await asyncio.wait_for(reader.readline(), 10)) not in (b"\r\n", b"\n", b""):
                key, _, value = line.decode("latin-1").partition(":")
                headers[key.strip().lower()] = value.strip()
            if len(request) < 2 or request[0] != "GET":
                status, body = "405 Method Not Allowed", {"error": "only GET"}
            elif not self._authorised(headers):
                status, body = "401 Unauthorized", {"error": "bad token"}
            elif request[1] != "/status":
                status, body = "404 Not Found", {"error": "try /status"}
            else:
                status, body = "200 OK", self.board.snapshot()
            data = json.dumps(body).encode()
            writer.write(f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
                         f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode() + data)
            await writer.drain()
        except (TimeoutError, ConnectionError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            writer.close()
