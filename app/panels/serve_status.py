"""Following a `matchsync serve --schedule` run: its status JSON from a file or from ``GET /status``
(with a bearer token), polled on a thread so a slow server never stalls the GUI."""
from __future__ import annotations

import json
import threading
import urllib.request
from pathlib import Path
from types import SimpleNamespace

from core.errors import InputError
from core.serve.scheduler import session_file

POLL_S = 2.0


class StatusFollower:
    """The newest snapshot (``sessions``: one dict per session) and the last problem reading it."""

    def __init__(self, where: str, token: str | None = None, sessions_dir: str | None = None) -> None:
        self.where = where
        self.is_url = where.startswith(("http://", "https://"))
        if self.is_url and not token:
            raise InputError("--serve-token", "a status URL needs the serve run's token")
        if not self.is_url and not Path(where).is_file():
            raise InputError(where, "status file not found")
        self.token = token
        self.folder = Path(sessions_dir) if sessions_dir else None if self.is_url else Path(where).parent
        self.sessions: list[dict] = []
        self.updated: str | None = None
        self.error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="serve-status", daemon=True)

    def start(self) -> None:
        """Poll every POLL_S seconds until stopped."""
        self._thread.start()

    def stop(self) -> None:
        """Stop polling."""
        self._stop.set()

    def read(self) -> dict:
        """One snapshot, now."""
        if self.is_url:
            request = urllib.request.Request(self.where, headers={"Authorization": f"Bearer {self.token}"})
            with urllib.request.urlopen(request, timeout=5) as response:
                return json.loads(response.read())
        return json.loads(Path(self.where).read_text())

    def poll(self) -> None:
        """Read once and keep the result (or why it failed)."""
        try:
            snapshot = self.read()
            self.sessions = list(snapshot.get("sessions", []))
            self.updated = snapshot.get("updated")
            self.error = None
        except (OSError, ValueError, AttributeError) as exc:
            self.error = f"{self.where}: {exc}"[:200]

    def _run(self) -> None:
        while not self._stop.is_set():
            self.poll()
            self._stop.wait(POLL_S)

    def session_path(self, name: str) -> Path | None:
        """Where the served session ``name`` keeps its file (the scheduler's naming), if known."""
        if self.folder is None:
            return None
        return session_file(self.folder, SimpleNamespace(id=name))
