"""Scoring corrected (or raw logged) event times against the truth, as CONTRACT.md's Scoring section says.

Events are matched by ``id``. Per type means per the truth's type. Bad lines (malformed JSON, missing
fields, unknown types, duplicate ids) are counted and named, never fatal.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.errors import InputError
from core.model import EVENT_TYPES

TOLERANCES_MS = (250, 500, 1000)
SPOILER_S = 0.5
"""An event placed more than this before the action is a spoiler."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One usable line: its type and time (seconds)."""

    type: str
    t: float
    line: int


@dataclass
class EventFile:
    """The usable events of one JSONL file by id, and every problem met on the way."""

    path: str
    events: dict[str, Entry] = field(default_factory=dict)
    problems: list[dict] = field(default_factory=list)

    def problem(self, line: int, kind: str, text: str) -> None:
        self.problems.append({"line": line, "kind": kind, "problem": text})


def read_events(path: str) -> EventFile:
    """Parse a JSONL events file; InputError only when the file cannot be read at all."""
    p = Path(path)
    if not p.exists():
        raise InputError(path, "file not found")
    if p.is_dir():
        raise InputError(path, "is a folder, not an events file")
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError(path, f"cannot read ({exc.strerror})") from None
    out = EventFile(path)
    for number, chunk in enumerate(raw.split(b"\n"), start=1):
        if chunk.strip():
            _parse_line(out, number, chunk)
    return out


def _parse_line(out: EventFile, number: int, chunk: bytes) -> None:
    try:
        obj = json.loads(chunk.decode("utf-8"))
    except UnicodeDecodeError:
        return out.problem(number, "malformed", "not UTF-8 text")
    except json.JSONDecodeError as exc:
        return out.problem(number, "malformed", f"malformed JSON ({exc.msg})")
    if not isinstance(obj, dict):
        return out.problem(number, "malformed", "not a JSON object")
    ident, kind, t = obj.get("id"), obj.get("type"), obj.get("t")
    if not isinstance(ident, str) or not ident:
        return out.problem(number, "missing_field", "missing or empty 'id'")
    if not isinstance(kind, str):
        return out.problem(number, "missing_field", f"{ident}: missing 'type'")
    if kind not in EVENT_TYPES:
        return out.problem(number, "unknown_type", f"{ident}: unknown type {kind!r}")
    if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t):
        return out.problem(number, "missing_field", f"{ident}: missing or non-numeric 't'")
    if ident in out.events:
        return out.problem(number, "duplicate_id", f"duplicate id {ident!r} (first on line {out.events[ident].line})")
    out.events[ident] = Entry(kind, float(t), number)


def error_stats(errors: list[float]) -> dict:
    """Success rates, error percentiles, bias and spoiler rate of signed errors (corrected - truth, s)."""
    e = np.asarray(errors, dtype=np.float64)
    if not len(e):
        return {"n": 0}
    a = np.abs(e)
    stats: dict = {"n": int(len(e))}
    for ms in TOLERANCES_MS:
        stats[f"success_{ms}ms"] = round(float(np.mean(a <= ms / 1000.0 + 1e-9)), 4)
    stats["median_abs_s"] = round(float(np.median(a)), 4)
    stats["p95_abs_s"] = round(float(np.percentile(a, 95)), 4)
    stats["mean_signed_s"] = round(float(np.mean(e)), 4)
    stats["spoiler_rate"] = round(float(np.mean(e < -SPOILER_S)), 4)
    return stats


def score(truth: EventFile, corrected: EventFile) -> dict:
    """The contract's score as one JSON-ready object."""
    by_type: dict[str, list[float]] = {}
    errors: list[float] = []
    wrong_type = []
    for ident, guess in corrected.events.items():
        real = truth.events.get(ident)
        if real is None:
            continue
        err = guess.t - real.t
        errors.append(err)
        by_type.setdefault(real.type, []).append(err)
        if guess.type != real.type:
            wrong_type.append({"id": ident, "truth": real.type, "corrected": guess.type})
    extra = sorted(i for i in corrected.events if i not in truth.events)
    missing = sorted(i for i in truth.events if i not in corrected.events)
    return {
        "truth": truth.path, "corrected": corrected.path,
        "overall": error_stats(errors),
        "per_type": {k: error_stats(by_type[k]) for k in EVENT_TYPES if k in by_type},
        "wrong_type": {"count": len(wrong_type), "events": wrong_type},
        "no_truth": {"count": len(extra), "ids": extra},
        "no_logged": {"count": len(missing), "ids": missing},
        "input_problems": {"truth": _problems(truth), "corrected": _problems(corrected)},
    }


def _problems(f: EventFile) -> dict:
    kinds: dict[str, int] = {}
    for p in f.problems:
        kinds[p["kind"]] = kinds.get(p["kind"], 0) + 1
    return {"count": len(f.problems), "by_kind": kinds, "lines": f.problems}


def format_table(report: dict) -> str:
    """The score as a plain-text table for people."""
    head = f"{'type':16s} {'n':>4s} {'<=250ms':>8s} {'<=500ms':>8s} {'<=1s':>8s} {'median':>8s} {'p95':>8s} {'bias':>8s} {'spoiler':>8s}"
    lines = [f"truth {report['truth']}  vs  {report['corrected']}", head, "-" * len(head)]
    rows = list(report["per_type"].items()) + [("ALL", report["overall"])]
    for name, s in rows:
        if not s.get("n"):
            lines.append(f"{name:16s} {0:4d}  (no scored events)")
            continue
        lines.append(f"{name:16s} {s['n']:4d} {s['success_250ms']:8.1%} {s['success_500ms']:8.1%} "
                     f"{s['success_1000ms']:8.1%} {s['median_abs_s']:7.3f}s {s['p95_abs_s']:7.3f}s "
                     f"{s['mean_signed_s']:+7.3f}s {s['spoiler_rate']:8.1%}")
    for key, label in (("no_truth", "logged events with no truth"), ("no_logged", "truth events never logged")):
        block = report[key]
        lines.append(f"{label}: {block['count']}" + (f"  ({', '.join(block['ids'][:20])}"
                                                     f"{', ...' if block['count'] > 20 else ''})" if block["count"] else ""))
    wt = report["wrong_type"]
    lines.append(f"wrong type: {wt['count']}" + "".join(f"\n  {w['id']}: truth {w['truth']}, given {w['corrected']}"
                                                       for w in wt["events"]))
    for side in ("truth", "corrected"):
        probs = report["input_problems"][side]
        if probs["count"]:
            kinds = ", ".join(f"{k} {v}" for k, v in probs["by_kind"].items())
            lines.append(f"bad lines in {side} file: {probs['count']} ({kinds})")
            lines += [f"  line {p['line']}: {p['problem']}" for p in probs["lines"][:50]]
    return "\n".join(lines)
