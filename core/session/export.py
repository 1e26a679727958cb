"""A session file as flat records (JSONL or CSV): events, every proposal revision, every decision with
who, when and the state before and after, and the publications when the outbox shares the file.

Each record has a ``kind`` (meta, event, proposal, decision, publication); media times are given both as
samples (``*_n``) and as seconds (``*_s``) on the session's media clock.
"""
from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from core import ANALYSIS_RATE
from core.errors import InputError

FORMATS = ("jsonl", "csv")
KINDS = ("meta", "event", "proposal", "decision", "publication")


def _seconds(n: int | None) -> float | None:
    return None if n is None else round(n / ANALYSIS_RATE, 6)


def _open_read_only(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise InputError(str(path), "session file not found")
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise InputError(str(path), f"not a session file ({exc})") from None
    if not {"events", "decisions"} <= tables:
        db.close()
        raise InputError(str(path), "not a session file (no events or decisions table)")
    return db


def session_records(path: str | Path) -> Iterator[dict]:
    """Every record of the session file at ``path``, read without changing it; InputError if it is not one."""
    db = _open_read_only(Path(path))
    try:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        for key, value in db.execute("SELECT key, value FROM meta ORDER BY key"):
            yield {"kind": "meta", "key": key, "value": value}
        for eid, typ, t, arrived, extra in db.execute(
                "SELECT id, type, t_logged, arrived_n, extra FROM events ORDER BY rowid"):
            yield {"kind": "event", "event_id": eid, "type": typ, "t_logged": t, "arrived_n": arrived,
                   "arrived_s": _seconds(arrived), "extra": json.loads(extra)}
        if "proposals" in tables:
            for eid, rev, n, conf, basis, at_n, detail in db.execute(
                    "SELECT event_id, revision, n, confidence, basis, at_n, detail FROM proposals "
                    "ORDER BY at_n, event_id, revision"):
                yield {"kind": "proposal", "event_id": eid, "revision": rev, "n": n, "t_s": _seconds(n),
                       "confidence": conf, "basis": basis, "at_n": at_n, "at_s": _seconds(at_n),
                       "detail": json.loads(detail)}
        for (seq, eid, action, operator, wall, media_n, s_before, n_before, s_after, n_after,
             undoes) in db.execute(
                "SELECT seq, event_id, action, operator, wall, media_n, status_before, n_before, "
                "status_after, n_after, undoes FROM decisions ORDER BY seq"):
            yield {"kind": "decision", "seq": seq, "event_id": eid, "action": action, "operator": operator,
                   "wall": wall, "media_n": media_n, "media_s": _seconds(media_n),
                   "status_before": s_before, "n_before": n_before, "t_before_s": _seconds(n_before),
                   "status_after": s_after, "n_after": n_after, "t_after_s": _seconds(n_after),
                   "undoes": undoes}
        if "outbox" in tables:
            for (body,) in db.execute("SELECT body FROM outbox ORDER BY session, seq"):
                yield {"kind": "publication", **json.loads(body)}
    finally:
        db.close()


def export_format(out: str | Path) -> str:
    """``jsonl`` or ``csv`` from the output file's suffix; InputError for anything else."""
    fmt = Path(out).suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise InputError(str(out), "output must end in .jsonl or .csv")
    return fmt


def export_session(session: str | Path, out: str | Path) -> dict[str, int]:
    """Write the session's records to ``out`` (.jsonl: one object a line; .csv: one row a record, the
    columns the union of every record's fields, nested values as JSON); returns the count per kind."""
    fmt = export_format(out)
    records = list(session_records(session))
    counts = {kind: sum(r["kind"] == kind for r in records) for kind in KINDS}
    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", newline="", encoding="utf-8") as f:
            if fmt == "jsonl":
                for r in records:
                    f.write(json.dumps(r, ensure_ascii=False) + "\n")
            else:
                columns = list(dict.fromkeys(key for r in records for key in r))
                writer = csv.DictWriter(f, columns)
                writer.writeheader()
                for r in records:
                    writer.writerow({k: json.dumps(v) if isinstance(v, (dict, list)) else v
                                     for k, v in r.items()})
    except OSError as exc:
        raise InputError(str(out), f"cannot write ({exc.strerror or exc})") from None
    return counts
