"""Session states as a match day goes: one stdout line per change and a JSON status file the console
reads (rewritten atomically on every change)."""
from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import TextIO

from core.serve.session import SessionReport

STATES = ("scheduled", "starting", "live", "finished", "failed")


class StatusBoard:
    """The latest report of every session, printed and written to ``path`` (if given) on each change."""

    def __init__(self, path: str | Path | None, out: TextIO | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self.out = out or sys.stdout
        self.reports: dict[str, SessionReport] = {}
        self.history: list[tuple[str, str, str]] = []
        """(session, state, ISO time on the scheduler's clock) for every change, in order."""

    def update(self, report: SessionReport, when: datetime | None = None) -> None:
        """Record a session's new state."""
        stamp = (when or report.stopped or report.live or report.started
                 or datetime.now(timezone.utc)).isoformat(timespec="seconds")
        self.reports[report.name] = report
        self.history.append((report.name, report.state, stamp))
        detail = f" ({report.reason})" if report.reason and report.state in ("finished", "failed") else ""
        if report.error:
            detail += f": {report.error}"
        counts = f" events={report.events} published={report.published}" if report.state != "scheduled" else ""
        print(f"{stamp} {report.name} {report.state}{detail}{counts}", file=self.out, flush=True)
        self.write()

    def write(self) -> None:
        """Write the status file atomically."""
        if self.path is None:
            return
        body = {"updated": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                "sessions": [r.to_json() for r in self.reports.values()]}
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(body, indent=1))
        os.replace(tmp, self.path)
