"""Writing JSON Lines to a file or to standard output (``-``)."""
from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path

from core.errors import InputError
from core.files import write_text_atomic


def write_jsonl(path: str, rows: Iterable[dict]) -> None:
    """Write one JSON object per line; a file is replaced atomically so readers never see half of it."""
    lines = "".join(json.dumps(row, separators=(", ", ": ")) + "\n" for row in rows)
    if path == "-":
        sys.stdout.write(lines)
        sys.stdout.flush()
        return
    target = Path(path)
    if not target.parent.exists():
        raise InputError(path, "output folder does not exist")
    try:
        write_text_atomic(target, lines)
    except OSError as exc:
        raise InputError(path, f"cannot write ({exc.strerror})") from None
