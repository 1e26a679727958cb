"""Writing whole text files (and command output) so that readers never see half of one."""
from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from core.errors import InputError


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


def write_output(path: str, text: str) -> None:
    """Write a command's output to ``path``, or to standard output for ``-``; a file atomically.

    A missing folder or a failed write is the user's bad input (InputError), not a crash.
    """
    if path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    target = Path(path)
    if not target.parent.is_dir():
        raise InputError(path, "output folder does not exist")
    try:
        write_text_atomic(target, text)
    except OSError as exc:
        raise InputError(path, f"cannot write ({exc.strerror})") from None
