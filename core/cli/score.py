"""`matchsync score --truth TRUTH --corrected FILE [--json]`: how close corrected (or raw logged) times are."""
from __future__ import annotations

import argparse
import json

from core.score import format_table, read_events, score


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `score` command."""
    p = sub.add_parser("score", help="score corrected or raw logged event times against the truth")
    p.add_argument("--truth", required=True, help="truth JSONL (t in media seconds)")
    p.add_argument("--corrected", required=True, help="corrected JSONL, or a raw logged JSONL (t is the proposal)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Read both files (bad lines are counted, not fatal) and print the score."""
    report = score(read_events(args.truth), read_events(args.corrected))
    print(json.dumps(report) if args.json else format_table(report))
    return 0
