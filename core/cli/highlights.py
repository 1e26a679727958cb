"""`matchsync highlights AUDIO --events CORRECTED --out FILE`: top moments as clips, with event markers."""
from __future__ import annotations

import argparse
import sys

from core.errors import InputError
from core.highlights.events import read_corrected
from core.highlights.excitement import measure
from core.highlights.export import adapter_for, build_timeline, write_timeline
from core.highlights.moments import pick_moments


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `highlights` command."""
    p = sub.add_parser("highlights", help="rank exciting moments, export clips and event markers (OTIO or EDL)")
    p.add_argument("audio", help="any file FFmpeg can read")
    p.add_argument("--events", required=True, help="corrected events JSONL (from `matchsync sync`)")
    p.add_argument("--out", required=True, help="FILE.otio (OTIO JSON) or FILE.edl (CMX 3600), or - for OTIO JSON")
    p.add_argument("--top", type=int, default=5, help="number of moments (default %(default)s)")
    p.add_argument("--pre", type=float, default=10.0, help="seconds of pre-roll before a moment (default %(default)s)")
    p.add_argument("--post", type=float, default=5.0, help="seconds of post-roll after a moment (default %(default)s)")
    p.add_argument("--fps", type=float, default=25.0, help="timeline frame rate (default %(default)s)")
    p.add_argument("--channel", type=int, default=None, help="use this channel (0-based) instead of a mix-down")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Score the audio, pick the moments, write the timeline."""
    if args.top < 1:
        raise InputError("--top", f"must be at least 1, not {args.top}")
    for flag, value in (("--pre", args.pre), ("--post", args.post)):
        if not 0 <= value <= 600:
            raise InputError(flag, f"must be 0 to 600 seconds, not {value}")
    if not 1 <= args.fps <= 120:
        raise InputError("--fps", f"must be 1 to 120, not {args.fps}")
    adapter = adapter_for(args.out)
    events = read_corrected(args.events)
    excitement = measure(args.audio, channel=args.channel)
    moments = pick_moments(excitement, args.top, args.pre, args.post)
    timeline = build_timeline(args.audio, excitement.duration_s, moments, events, args.fps,
                              with_match_track=adapter == "otio_json")
    write_timeline(timeline, args.out, adapter)
    for m in moments:
        print(f"#{m.rank} {m.clip_start_s:8.1f}-{m.clip_end_s:8.1f} s  peak {m.peak_s:7.1f} s  "
              f"score {m.score:5.1f}", file=sys.stderr)
    return 0
