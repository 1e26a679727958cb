"""Writing a whole text file so that readers never see half of it."""
from __future__ import annotations

import os
import stat
from pathlib import Path


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file renamed over it (atomic on one file system).

    A path that already exists and is not a regular file (``/dev/null``, a FIFO, a terminal) is written
    straight through instead: renaming over it would replace the device or pipe with a plain file.
    Raises OSError as the underlying calls do; the temporary file never outlives a failure.
    """
    target = Path(path)
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        with open(target, "w", encoding="utf-8") as out:
            out.write(text)
        return
    tmp = target.with_name(f".{target.name}.tmp{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
