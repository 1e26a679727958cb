"""`matchsync sync AUDIO --events LOGGED --out FILE [--explain]`: a corrected time for every logged event."""
from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import replace
from pathlib import Path

from core.cli.output import write_jsonl
from core.detect.offline import detect_file
from core.errors import InputError
from core.model import EVENT_TYPES, LoggedEvent
from core.sync.proposal import Proposal
from core.sync.settings import SyncSettings
from core.sync.solver import solve


MAX_WARNINGS = 50
"""Problem lines reported one by one; the rest are counted."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `sync` command."""
    p = sub.add_parser("sync", help="propose corrected times for logged events from the match audio")
    p.add_argument("audio", help="any file FFmpeg can read")
    p.add_argument("--events", required=True, help="logged events JSONL (id, type, t on the logger's clock)")
    p.add_argument("--out", required=True, help="corrected events JSONL, or - for standard output")
    p.add_argument("--channel", type=int, default=None, help="use this channel (0-based) instead of a mix-down")
    p.add_argument("--early-cost", type=float, default=SyncSettings().early_cost,
                   help="extra cost, in seconds of lateness, of placing an event more than 0.5 s early "
                        "(default %(default)s; 0 treats early and late alike)")
    p.add_argument("--explain", action="store_true", help="print per event the candidates and why one won")
    p.set_defaults(func=run)


def read_logged(path: str) -> list[LoggedEvent]:
    """Usable events of a logged JSONL file; each bad line is reported on stderr and skipped.

    Raises InputError (one line, nothing else printed) when the file cannot be read or holds no usable event.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(path, "file not found" if not p.exists() else "not a file")
    try:
        text = p.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        raise InputError(path, f"cannot read ({exc.strerror})") from None
    events: list[LoggedEvent] = []
    problems: list[str] = []
    seen: set[str] = set()
    last_t = -math.inf
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        problem, event = _parse(line)
        if event is not None and event.id in seen:
            problem, event = f"duplicate id {event.id!r} (the first one is kept)", None
        if problem:
            problems.append(f"line {number}: {problem}")
            continue
        if event.t < last_t:
            problems.append(f"line {number}: {event.id}: out of order (t {event.t:g} s after an event at "
                            f"{last_t:g} s); it is placed by its own time")
        last_t = max(last_t, event.t)
        seen.add(event.id)
        events.append(event)
    if not events:
        first = f"; {problems[0]}" if problems else ""
        raise InputError(path, f"no usable logged event (each line needs id, a known type and a numeric t){first}")
    for text_line in problems[:MAX_WARNINGS]:
        print(f"matchsync sync: {path}: {text_line}", file=sys.stderr)
    if len(problems) > MAX_WARNINGS:
        print(f"matchsync sync: {path}: {len(problems) - MAX_WARNINGS} more problem lines not shown", file=sys.stderr)
    return events


def _parse(line: str) -> tuple[str | None, LoggedEvent | None]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        return f"not JSON ({exc.msg})", None
    if not isinstance(row, dict):
        return "not a JSON object", None
    ident, etype, t = row.get("id"), row.get("type"), row.get("t")
    if not isinstance(ident, str) or not ident:
        return "missing or empty id", None
    if etype not in EVENT_TYPES:
        return f"{ident}: unknown type {etype!r}", None
    if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t):
        return f"{ident}: t must be a number of seconds", None
    extra = {k: v for k, v in row.items() if k not in ("id", "type", "t")}
    return None, LoggedEvent(ident, etype, float(t), extra)


def run(args: argparse.Namespace) -> int:
    """Detect anchors, sync every usable event, write one corrected line per event."""
    events = read_logged(args.events)
    detections = detect_file(args.audio, channel=args.channel)
    rate = detections.rate
    settings = SyncSettings(early_cost=args.early_cost)
    solution = solve(detections.anchors, events, rate, settings)
    rows = []
    for ev in events:
        p = solution.proposals[ev.id]
        if p.n < 0 or p.n > detections.samples:
            where = "before the audio starts" if p.n < 0 else "after the audio ends"
            print(f"matchsync sync: {args.events}: {ev.id}: maps to {p.n / rate:.2f} s, {where}; "
                  "placed at the audio's edge", file=sys.stderr)
        rows.append(_clamped(p, detections.samples).to_json(rate))
    write_jsonl(args.out, rows)
    if args.explain:
        _explain(solution, events, rate)
    return 0


def _clamped(p: Proposal, samples: int) -> Proposal:
    return p if 0 <= p.n <= samples else replace(p, n=min(max(p.n, 0), samples), confidence=0.0)


def _explain(solution, events: list[LoggedEvent], rate: int) -> None:
    cmap = solution.clock_map
    out = sys.stderr
    print(f"clock map: offset {cmap.offset_s:+.3f} s (includes typical lateness), drift {cmap.drift_ppm:+.1f} ppm, "
          f"{len(cmap.offsets)} segment(s), {cmap.pairs} anchored pairs, confidence {cmap.confidence:.2f}", file=out)
    shifts = ", ".join(f"{k} {v:+.2f}" for k, v in sorted(solution.lateness.shifts.items()))
    print(f"lateness beyond typical, per type (s): {shifts or 'none learned'}", file=out)
    for ev in events:
        p = solution.proposals[ev.id]
        print(f"{ev.id} {ev.type} logged {ev.t:.2f} -> {p.n / rate:.3f} s  {p.basis}  confidence {p.confidence:.2f}"
              + ("  EARLY SIDE UNCERTAIN" if p.early_risk else ""), file=out)
        print(f"    why: {p.why}", file=out)
        for k, c in enumerate(p.alternatives):
            mark = "chosen" if k == 0 else f"alt {k}"
            print(f"    {mark:6s} {c.n / rate:10.3f} s  {c.basis:7s} p={c.score:.2f}  {c.why}", file=out)
