"""The overlay's HTTP server: the page, its script and style, its settings and the media clock.

Routes (every one needs ``?token=`` with a feed token; anything else is answered 403):
``/`` the page, ``/overlay.js``, ``/overlay.css``, ``/config`` (the feed's WebSocket URL, the playout
delay and how long a graphic stays up) and ``/clock`` (``{"media_s": S}``: how far the media clock has
got now, ``null`` before the first sample). The page takes the media time from ``/clock``, not from the
feed: the feed's heartbeats carry sequence numbers only, and the overlay needs the clock several times a
second. The page may override the delay and hold time with ``&delay=`` and ``&hold=`` in its URL.
"""
from __future__ import annotations

import hmac
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from urllib.parse import parse_qs, quote, urlsplit

STATIC = {"/overlay.js": "text/javascript; charset=utf-8", "/overlay.css": "text/css; charset=utf-8"}
"""Static files by route, with their content types."""
HOLD_S = 8.0
"""Seconds a graphic stays up."""

MediaClock = Callable[[], float | None]
"""Returns the media time (s) the live input has reached now, or None before it starts."""


class OverlayServer:
    """Serves the overlay page on ``host`` (127.0.0.1 unless configured) in a thread of its own."""

    def __init__(self, feed_url: str, tokens: tuple[str, ...], media_clock: MediaClock,
                 delay_s: float = 0.0, hold_s: float = HOLD_S, host: str = "127.0.0.1", port: int = 0) -> None:
        if not tokens or not all(tokens):
            raise ValueError("the overlay needs at least one non-empty token")
        if delay_s < 0 or hold_s <= 0:
            raise ValueError("the playout delay must be >= 0 and the hold time > 0")
        self.feed_url = feed_url
        self.tokens = tokens
        self.media_clock = media_clock
        self.delay_s = delay_s
        self.hold_s = hold_s
        self._httpd = ThreadingHTTPServer((host, port), _handler(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        """The (host, port) the server is bound to."""
        host, port = self._httpd.server_address[:2]
        return str(host), int(port)

    def page_url(self, token: str) -> str:
        """The URL to give OBS (or any browser) for the overlay."""
        host, port = self.address
        return f"http://{host}:{port}/?token={quote(token, safe='')}"

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="overlay-http", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop serving and release the port."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
        self._httpd.server_close()

    def token_ok(self, token: str | None) -> bool:
        """Whether ``token`` is one of the feed tokens (compared in constant time)."""
        return token is not None and any(hmac.compare_digest(token.encode(), t.encode()) for t in self.tokens)

    def config(self) -> dict:
        """What the page needs to start."""
        return {"feed": self.feed_url, "delay_s": self.delay_s, "hold_s": self.hold_s}

    def clock(self) -> dict:
        """The media clock now."""
        media_s = self.media_clock()
        return {"media_s": None if media_s is None else round(float(media_s), 4)}


def _handler(overlay: OverlayServer) -> type[BaseHTTPRequestHandler]:
    static = files("core.overlay") / "static"

    class Handler(BaseHTTPRequestHandler):
        server_version = "MatchSyncOverlay"

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            url = urlsplit(self.path)
            token = parse_qs(url.query).get("token", [None])[0]
            if not overlay.token_ok(token):
                self._send(403, "application/json", b'{"error": "bad token", "field": "token"}')
            elif url.path in ("/", "/index.html"):
                page = (static / "index.html").read_text(encoding="utf-8")
                self._send(200, "text/html; charset=utf-8",
                           page.replace("__TOKEN__", quote(token or "", safe="")).encode())
            elif url.path in STATIC:
                self._send(200, STATIC[url.path], (static / url.path.lstrip("/")).read_bytes())
            elif url.path == "/config":
                self._send(200, "application/json", json.dumps(overlay.config()).encode())
            elif url.path == "/clock":
                self._send(200, "application/json", json.dumps(overlay.clock()).encode())
            else:
                self._send(404, "application/json", b'{"error": "not found"}')

        def _send(self, status: int, kind: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args) -> None:  # noqa: A002 (http.server's signature)
            return

    return Handler
