"""The `matchsync` entry point: the console by default, batch commands by name."""
from __future__ import annotations

import multiprocessing
import sys

WINDOWED = ("console", "train")


def main(argv: list[str] | None = None) -> int:
    """Open the console (no arguments, `console`, or console options such as `--source`), or run a batch
    command by name without loading Qt."""
    multiprocessing.freeze_support()  # the packaged console starts its sync engine process from its executable
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in WINDOWED or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        from app.launch import launch  # Qt is imported only for windowed commands

        return launch(argv)
    from core.cli import main as batch_main

    return batch_main(argv)


if __name__ == "__main__":
    sys.exit(main())
