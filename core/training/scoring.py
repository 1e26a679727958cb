"""Matching a trainee's log against the reference: per event type, how many, how late, how wrong.

An entry *hits* a reference event of the same type within ``window_s`` (1 s); pairs are chosen to
minimise the total timing error. Left-over entries within the window of a left-over reference event of
another type are *wrong type*; other left-over entries are *extra*; left-over reference events are
*misses*. Lateness is entry time minus reference time (positive: late).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from core.model import LoggedEvent

WINDOW_S = 1.0
TIGHT_S = 0.5


@dataclass(frozen=True, slots=True)
class Pair:
    """A reference event and the trainee entry matched to it."""

    truth: LoggedEvent
    entry: LoggedEvent

    @property
    def error_s(self) -> float:
        """Entry minus reference time, seconds (positive: late)."""
        return self.entry.t - self.truth.t


@dataclass(frozen=True, slots=True)
class Outcome:
    """Every reference event and entry, sorted into hits, wrong types, misses and extras."""

    hits: tuple[Pair, ...]
    wrong_type: tuple[Pair, ...]
    misses: tuple[LoggedEvent, ...]
    extras: tuple[LoggedEvent, ...]


def _assign(truth: list[LoggedEvent], entries: list[LoggedEvent], window_s: float,
            same_type: bool) -> list[tuple[int, int]]:
    """Index pairs (truth, entry) within the window, of the same type or not, with least total error."""
    if not truth or not entries:
        return []
    t = np.array([e.t for e in truth])[:, None]
    u = np.array([e.t for e in entries])[None, :]
    cost = np.abs(u - t)
    types_equal = np.array([[a.type == b.type for b in entries] for a in truth])
    allowed = (cost <= window_s) & (types_equal if same_type else ~types_equal)
    big = 1e6
    rows, cols = linear_sum_assignment(np.where(allowed, cost, big))
    return [(int(r), int(c)) for r, c in zip(rows, cols) if allowed[r, c]]


def match_entries(truth: list[LoggedEvent], entries: list[LoggedEvent], window_s: float = WINDOW_S) -> Outcome:
    """Sort the reference events and the trainee's entries into hits, wrong types, misses and extras."""
    truth, entries = sorted(truth, key=lambda e: e.t), sorted(entries, key=lambda e: e.t)
    hits = [Pair(truth[i], entries[j]) for i, j in _assign(truth, entries, window_s, True)]
    used_t = {id(p.truth) for p in hits}
    used_e = {id(p.entry) for p in hits}
    rest_t = [e for e in truth if id(e) not in used_t]
    rest_e = [e for e in entries if id(e) not in used_e]
    wrong = [Pair(rest_t[i], rest_e[j]) for i, j in _assign(rest_t, rest_e, window_s, False)]
    used_t |= {id(p.truth) for p in wrong}
    used_e |= {id(p.entry) for p in wrong}
    key = lambda p: p.truth.t  # noqa: E731
    return Outcome(tuple(sorted(hits, key=key)), tuple(sorted(wrong, key=key)),
                   tuple(e for e in truth if id(e) not in used_t), tuple(e for e in entries if id(e) not in used_e))


def type_stats(outcome: Outcome, event_type: str | None = None) -> dict:
    """Counts, lateness and F1 for one event type (``None``: all types together)."""
    def mine(ev: LoggedEvent) -> bool:
        return event_type is None or ev.type == event_type

    hits = [p for p in outcome.hits if mine(p.truth)]
    wrong = [p for p in outcome.wrong_type if mine(p.truth)]
    misses = [e for e in outcome.misses if mine(e)]
    extras = [e for e in outcome.extras if mine(e)]
    errors = np.array([p.error_s for p in hits])
    truth_n = len(hits) + len(wrong) + len(misses)
    entries_n = len(hits) + len(extras) + sum(1 for p in outcome.wrong_type if mine(p.entry))
    precision = len(hits) / entries_n if entries_n else 0.0
    recall = len(hits) / truth_n if truth_n else 0.0
    q25, q50, q75 = (np.percentile(errors, (25, 50, 75)) if len(errors) else (np.nan, np.nan, np.nan))
    return {
        "truth": truth_n, "entries": entries_n,
        "hits_500ms": int(np.sum(np.abs(errors) <= TIGHT_S)), "hits_1000ms": len(hits),
        "misses": len(misses), "extra": len(extras), "wrong_type": len(wrong),
        "median_lateness_s": None if np.isnan(q50) else round(float(q50), 4),
        "spread_iqr_s": None if np.isnan(q50) else round(float(q75 - q25), 4),
        "f1": round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0,
    }


def score_log(truth: list[LoggedEvent], entries: list[LoggedEvent], window_s: float = WINDOW_S) -> dict:
    """The scored log: overall and per event type (types of the reference and of the log), and every item."""
    outcome = match_entries(truth, entries, window_s)
    types = sorted({e.type for e in truth} | {e.type for e in entries})
    items = ([{"kind": "hit", "type": p.truth.type, "truth_t": p.truth.t, "entry_t": p.entry.t,
               "error_s": round(p.error_s, 4)} for p in outcome.hits]
             + [{"kind": "wrong_type", "type": p.truth.type, "entry_type": p.entry.type, "truth_t": p.truth.t,
                 "entry_t": p.entry.t, "error_s": round(p.error_s, 4)} for p in outcome.wrong_type]
             + [{"kind": "miss", "type": e.type, "truth_t": e.t} for e in outcome.misses]
             + [{"kind": "extra", "type": e.type, "entry_t": e.t} for e in outcome.extras])
    items.sort(key=lambda i: i.get("truth_t", i.get("entry_t")))
    return {"overall": type_stats(outcome), "by_type": {t: type_stats(outcome, t) for t in types}, "items": items}
