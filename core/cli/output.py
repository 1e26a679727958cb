"""Writing JSON Lines to a file or to standard output (``-``)."""
from __future__ import annotations

import json
from collections.abc import Iterable

from core.files import write_output


def write_jsonl(path: str, rows: Iterable[dict]) -> None:
    """Write one JSON object per line; a file is replaced atomically so readers never see half of it."""
    write_output(path, "".join(json.dumps(row, separators=(", ", ": ")) + "\n" for row in rows))
