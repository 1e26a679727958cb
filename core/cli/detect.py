"""`matchsync detect AUDIO --out FILE [--explain]`: every audio detector over a media file."""
from __future__ import annotations

import argparse
import sys

from core.cli.output import write_jsonl
from core.detect.offline import detect_file


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `detect` command."""
    p = sub.add_parser("detect", help="detect whistles and crowd surges in a media file")
    p.add_argument("audio", help="any file FFmpeg can read")
    p.add_argument("--out", required=True, help="anchors JSONL, or - for standard output")
    p.add_argument("--channel", type=int, default=None, help="use this channel (0-based) instead of a mix-down")
    p.add_argument("--explain", action="store_true", help="print every candidate and why it was kept or rejected")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Detect and write anchors."""
    result = detect_file(args.audio, channel=args.channel)
    write_jsonl(args.out, (a.to_json(result.rate) for a in result.anchors))
    if args.explain:
        _explain(result)
    return 0


def _explain(result) -> None:
    rate = result.rate
    rows = [(a.start, f"KEPT     {a.kind:11s} {a.start / rate:9.3f}-{a.end / rate:9.3f} s  conf {a.confidence:.2f}"
             + (f"  {'/'.join(f'{f:.0f}' for f in a.freqs_hz)} Hz" if a.freqs_hz else "")
             + (f"  +{a.gain_lu:.1f} LU" if a.gain_lu is not None else "")) for a in result.anchors]
    rows += [(r.start, f"REJECTED {r.kind:11s} {r.start / rate:9.3f}-{r.end / rate:9.3f} s  {r.reason}")
             for r in result.rejections]
    for _, line in sorted(rows):
        print(line, file=sys.stderr)
    print(f"{len(result.anchors)} anchors, {len(result.rejections)} rejected candidates, "
          f"{result.samples / rate:.1f} s of audio", file=sys.stderr)
