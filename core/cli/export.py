"""`matchsync export SESSION --out FILE(.jsonl|.csv)`: a session file's events, proposals, decisions and
publications as flat records."""
from __future__ import annotations

import argparse
import sys

from core.session.export import export_format, export_session


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `export` command."""
    p = sub.add_parser("export", help="export a session file to JSONL or CSV")
    p.add_argument("session", help="the session file (SQLite) of a console or served match")
    p.add_argument("--out", required=True, help="output file; its suffix (.jsonl or .csv) picks the format")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Export and print one summary line to standard error."""
    export_format(args.out)  # a wrong suffix fails before anything is read
    counts = export_session(args.session, args.out)
    print(f"matchsync export: {args.out}: " + " ".join(f"{k}={v}" for k, v in counts.items()),
          file=sys.stderr)
    return 0
