"""`matchsync align MASTER FEED... --out FILE`: each feed's clock mapped onto the master's (CONTRACT.md)."""
from __future__ import annotations

import argparse
import sys

from core.align.offline import align_files
from core.cli.output import write_jsonl


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `align` command."""
    p = sub.add_parser("align", help="align the audio of extra feeds to a master feed (offset, drift)")
    p.add_argument("master", help="the master feed: any file FFmpeg can read")
    p.add_argument("feeds", nargs="+", metavar="FEED", help="feeds to align to the master")
    p.add_argument("--out", default="-", help="alignment JSONL, or - for standard output (the default)")
    p.add_argument("--channel", type=int, default=None, help="use this channel (0-based) instead of a mix-down")
    p.add_argument("--max-offset", type=float, default=30.0,
                   help="largest offset searched, in seconds either way (default 30)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Align and write one object per feed; warnings also go to standard error."""
    results = align_files(args.master, args.feeds, channel=args.channel, search_s=args.max_offset)
    write_jsonl(args.out, (r.to_json() for r in results))
    for r in results:
        for w in r.warnings:
            print(f"matchsync align: {r.feed}: {w}", file=sys.stderr)
    return 0
