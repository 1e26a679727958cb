"""Fixtures of a match day, read from iCalendar (.ics, through the ``icalendar`` library) or CSV.

CSV: a header row with ``fixture_id,kickoff,source,sinks`` and optionally ``competition`` and
``events``; ``kickoff`` is ISO 8601 (a time without a zone is local time); ``sinks`` holds sink specs
separated by spaces; ``source`` is what ``matchsync serve --source`` takes.

iCalendar: one VEVENT per fixture: ``UID`` (fixture id), ``DTSTART`` (kickoff), ``URL`` (source, or
``LOCATION`` when there is no URL), ``X-MATCHSYNC-SINKS`` (sink specs separated by spaces),
``CATEGORIES`` (its first entry is the competition), ``X-MATCHSYNC-EVENTS`` (an events file).
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from core.errors import InputError

CSV_COLUMNS = ("fixture_id", "kickoff", "source", "sinks")


@dataclass(frozen=True, slots=True)
class Fixture:
    """One match to serve: kickoff is timezone-aware."""

    id: str
    kickoff: datetime
    source: str
    sinks: tuple[str, ...]
    competition: str = ""
    events: str | None = None


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.astimezone()


def _kickoff(text: str, where: str) -> datetime:
    try:
        return _aware(datetime.fromisoformat(text.strip()))
    except ValueError:
        raise InputError(where, f"kickoff {text!r} is not an ISO 8601 time") from None


def _read_csv(path: Path) -> list[Fixture]:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = csv.DictReader(fh)
        missing = [c for c in CSV_COLUMNS if c not in (rows.fieldnames or ())]
        if missing:
            raise InputError(str(path), f"missing column {missing[0]} (need {', '.join(CSV_COLUMNS)})")
        out = []
        for line, row in enumerate(rows, start=2):
            where = f"{path}:{line}"
            if not (row["fixture_id"] or "").strip() or not (row["source"] or "").strip():
                raise InputError(where, "fixture_id and source must not be empty")
            out.append(Fixture(row["fixture_id"].strip(), _kickoff(row["kickoff"] or "", where),
                               row["source"].strip(), tuple((row["sinks"] or "").split()),
                               (row.get("competition") or "").strip(),
                               (row.get("events") or "").strip() or None))
    return out


def _read_ics(path: Path) -> list[Fixture]:
    import icalendar

    try:
        calendar = icalendar.Calendar.from_ical(path.read_bytes())
    except ValueError as exc:
        raise InputError(str(path), f"not a readable iCalendar file ({exc})") from None
    out = []
    for event in calendar.walk("VEVENT"):
        uid = str(event.get("UID", "")).strip()
        where = f"{path}: event {uid or '(no UID)'}"
        source = str(event.get("URL") or event.get("LOCATION") or "").strip()
        if not uid or not source or "DTSTART" not in event:
            raise InputError(where, "each VEVENT needs UID, DTSTART and URL (or LOCATION)")
        start = event.decoded("DTSTART")
        if not isinstance(start, datetime) and isinstance(start, date):
            raise InputError(where, "DTSTART must be a date with a time, not a whole day")
        categories = event.get("CATEGORIES")
        if isinstance(categories, list):
            categories = categories[0] if categories else None
        competition = str(categories.cats[0]) if categories is not None and categories.cats else ""
        events = str(event.get("X-MATCHSYNC-EVENTS", "")).strip() or None
        out.append(Fixture(uid, _aware(start), source, tuple(str(event.get("X-MATCHSYNC-SINKS", "")).split()),
                           competition, events))
    return out


def load_schedule(path: str | Path) -> list[Fixture]:
    """Every fixture of a schedule file, by kickoff; InputError naming the file and the problem."""
    path = Path(path)
    if not path.is_file():
        raise InputError(str(path), "schedule file not found")
    try:
        fixtures = _read_ics(path) if path.suffix.lower() in (".ics", ".ical") else _read_csv(path)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(str(path), f"cannot read schedule ({exc})") from None
    if not fixtures:
        raise InputError(str(path), "no fixtures")
    ids = [f.id for f in fixtures]
    duplicate = next((i for i in ids if ids.count(i) > 1), None)
    if duplicate is not None:
        raise InputError(str(path), f"fixture id {duplicate!r} appears twice")
    return sorted(fixtures, key=lambda f: f.kickoff)
