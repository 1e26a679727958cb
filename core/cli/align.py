"""`matchsync align MASTER FEED... --out FILE`: each feed's clock mapped onto the master's (CONTRACT.md)."""
from __future__ import annotations

import argparse
import sys

from core.align.offline import align_files
from core.cli.output import write_jsonl
from core.errors import InputError
from core.ltc.decode import feed_timecode


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `align` command."""
    p = sub.add_parser("align", help="align the audio of extra feeds to a master feed (offset, drift)")
    p.add_argument("master", help="the master feed: any file FFmpeg can read")
    p.add_argument("feeds", nargs="+", metavar="FEED", help="feeds to align to the master")
    p.add_argument("--out", default="-", help="alignment JSONL, or - for standard output (the default)")
    p.add_argument("--channel", type=int, default=None, help="use this channel (0-based) instead of a mix-down")
    p.add_argument("--ltc-channel", type=int, default=None,
                   help="read each feed's SMPTE LTC from this channel (0-based) and report it; needs --channel")
    p.add_argument("--max-offset", type=float, default=30.0,
                   help="largest offset searched, in seconds either way (default 30)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Align and write one object per feed; warnings also go to standard error."""
    if args.ltc_channel is not None and args.channel in (None, args.ltc_channel):
        raise InputError("--channel", "with --ltc-channel, name the programme audio channel (another one)")
    results = align_files(args.master, args.feeds, channel=args.channel, search_s=args.max_offset)
    rows = [r.to_json() for r in results]
    if args.ltc_channel is not None:
        for row in rows:
            try:
                row["ltc"] = feed_timecode(row["feed"], args.ltc_channel)
            except InputError as exc:
                row["ltc"] = None
                row["warnings"].append(exc.problem)
    write_jsonl(args.out, rows)
    for row in rows:
        for w in row["warnings"]:
            print(f"matchsync align: {row['feed']}: {w}", file=sys.stderr)
    return 0
