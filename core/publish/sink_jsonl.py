"""JSONL file sink: one publication per line, appended and fsynced before the cursor moves."""
from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from pathlib import Path

from core.publish.message import Publication


def _trim_partial_line(path: Path) -> None:
    """Cut a last line that a crash left without its newline."""
    size = path.stat().st_size
    if size == 0:
        return
    with path.open("rb+") as fh:
        fh.seek(size - 1)
        if fh.read(1) == b"\n":
            return
        back = min(size, 1 << 16)
        fh.seek(size - back)
        tail = fh.read(back)
        fh.truncate(size - back + tail.rfind(b"\n") + 1)
        os.fsync(fh.fileno())


class JsonlSink:
    """Appends publications to a file; heartbeats are not written (the file is the record)."""

    batch_size = 500

    def __init__(self, path: str | Path, name: str = "jsonl") -> None:
        self.path = Path(path)
        self.name = name
        if self.path.exists():
            _trim_partial_line(self.path)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    async def deliver(self, pubs: Sequence[Publication]) -> None:
        """Append the batch and fsync it."""
        data = "".join(p.to_json() + "\n" for p in pubs).encode()
        await asyncio.to_thread(self._write, data)

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view):]
        os.fsync(self._fd)

    async def heartbeat(self, message: dict) -> None:
        """Files carry no heartbeats."""

    async def close(self) -> None:
        """Close the file."""
        os.close(self._fd)
