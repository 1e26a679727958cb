"""Reading the approved events of a corrected JSONL file (the output of `matchsync sync`) as markers."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from core.errors import InputError
from core.model import EVENT_TYPES


@dataclass(frozen=True, slots=True)
class MarkedEvent:
    """One approved event at media time ``t`` (seconds)."""

    id: str
    type: str
    t: float
    confidence: float | None
    basis: str | None


def read_corrected(path: str) -> list[MarkedEvent]:
    """Every event of a corrected JSONL file in time order, except cancelled ones (a ``status`` of
    ``cancelled``, as in a published feed); InputError naming the file and line on the first bad one."""
    p = Path(path)
    if not p.is_file():
        raise InputError(path, "file not found" if not p.exists() else "not a file")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(path, "not UTF-8 text") from None
    except OSError as exc:
        raise InputError(path, f"cannot read ({exc.strerror})") from None
    events: list[MarkedEvent] = []
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        problem, event, cancelled = _parse(line)
        if event is not None and event.id in seen:
            problem = f"duplicate id {event.id!r}"
        if problem:
            raise InputError(path, f"line {number}: {problem}")
        assert event is not None
        seen.add(event.id)
        if not cancelled:
            events.append(event)
    return sorted(events, key=lambda e: (e.t, e.id))


def _parse(line: str) -> tuple[str | None, MarkedEvent | None, bool]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError:
        return "not a JSON object", None, False
    if not isinstance(row, dict):
        return "not a JSON object", None, False
    ident, kind, t = row.get("id"), row.get("type"), row.get("t")
    if not isinstance(ident, str) or not ident:
        return "missing or empty id", None, False
    if kind not in EVENT_TYPES:
        return f"unknown type {kind!r}", None, False
    if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t) or t < 0:
        return f"t must be a number of media seconds >= 0, not {t!r}", None, False
    confidence = row.get("confidence")
    if not (confidence is None or (isinstance(confidence, (int, float)) and not isinstance(confidence, bool))):
        return f"confidence must be a number, not {confidence!r}", None, False
    basis = row.get("basis")
    event = MarkedEvent(ident, kind, float(t), None if confidence is None else float(confidence),
                        basis if isinstance(basis, str) else None)
    return None, event, row.get("status") == "cancelled"
