"""The batch face of MatchSync: `matchsync detect|sync|simulate|score|...` (see CONTRACT.md)."""
from __future__ import annotations

import argparse
import importlib
import sys

from core.errors import InputError

COMMANDS: tuple[str, ...] = ("align", "detect", "export", "highlights", "simulate", "score", "serve", "sync")
"""Module names under core.cli; each defines ``register(subparsers)`` that sets ``func`` on its parser."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every batch command."""
    parser = argparse.ArgumentParser(prog="matchsync", description="Match event timing from broadcast audio.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"core.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one batch command; exit 2 with one stderr line on bad input, 1 on an internal error."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        print(f"matchsync {args.command}: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130
