"""`matchsync simulate --seed N --minutes M --out DIR`: a reproducible match built from real recordings."""
from __future__ import annotations

import argparse
import sys

from core.sim.match import build_match, write_match


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `simulate` command."""
    p = sub.add_parser("simulate", help="build a reproducible simulated match (audio, truth, logged, meta)")
    p.add_argument("--seed", type=int, required=True, help="random seed; the same seed gives identical files")
    p.add_argument("--minutes", type=float, default=90.0, help="match length in minutes (default 90)")
    p.add_argument("--out", required=True, help="output folder (created if missing)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build and write the match, then say what was written."""
    match = build_match(args.seed, args.minutes)
    path = write_match(match, args.out)
    print(f"{path}: {match.samples / match.rate / 60:.1f} min, {len(match.truth)} actions, "
          f"{len(match.logged)} logged entries, logger offset {match.meta['logger']['offset_s']:+.3f} s, "
          f"drift {match.meta['logger']['drift_ppm']:+.1f} ppm", file=sys.stderr)
    return 0
