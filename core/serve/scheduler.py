"""Runs a match day: each fixture's session starts a lead time before kickoff and stops on its own
(a margin after full time, the source's end, or a hard limit), all on one event loop."""
from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from core.serve.clock import Clock
from core.serve.schedule import Fixture
from core.serve.session import MatchSession, SessionConfig, SessionReport
from core.serve.status import StatusBoard


def session_file(folder: Path, fixture: Fixture) -> Path:
    """The fixture's session file in ``folder``."""
    return folder / f"{re.sub(r'[^A-Za-z0-9._-]+', '_', fixture.id)[:80]}.sqlite"


class Scheduler:
    """One session per fixture; ``template`` gives the settings every session shares (its name,
    source, sinks, events and session path are replaced per fixture)."""

    def __init__(self, fixtures: list[Fixture], template: SessionConfig, folder: Path, clock: Clock,
                 board: StatusBoard, lead_s: float = 300.0) -> None:
        self.fixtures = fixtures
        self.template = template
        self.folder = folder
        self.clock = clock
        self.board = board
        self.lead = timedelta(seconds=lead_s)
        self.sessions: dict[str, MatchSession] = {}

    def config_for(self, fixture: Fixture) -> SessionConfig:
        """The session settings of one fixture."""
        return replace(self.template, name=fixture.id, source=fixture.source, sinks=fixture.sinks,
                       events=fixture.events, session_path=session_file(self.folder, fixture))

    async def run(self) -> list[SessionReport]:
        """Serve every fixture; returns their final reports in schedule order."""
        self.folder.mkdir(parents=True, exist_ok=True)
        for fixture in self.fixtures:
            session = MatchSession(self.config_for(fixture), self.clock, self.board.update)
            self.sessions[fixture.id] = session
            self.board.update(session.report, self.clock.now())
        return await asyncio.gather(*(self._one(f) for f in self.fixtures))

    async def _one(self, fixture: Fixture) -> SessionReport:
        session = self.sessions[fixture.id]
        limit = self.template.hard_limit_s
        if limit is not None and self.clock.now() >= fixture.kickoff + timedelta(seconds=limit):
            session.report.state, session.report.reason = "failed", "missed: its time window has passed"
            session.report.stopped = self.clock.now()
            self.board.update(session.report)
            return session.report
        start = asyncio.ensure_future(self.clock.sleep_until(fixture.kickoff - self.lead))
        stopped = asyncio.ensure_future(session.stop_requested.wait())
        await asyncio.wait((start, stopped), return_when=asyncio.FIRST_COMPLETED)
        start.cancel()
        stopped.cancel()
        if session.stop_requested.is_set():  # stopped before it began: it never runs
            session.report.state = "finished"
            session.report.stopped = self.clock.now()
            self.board.update(session.report)
            return session.report
        return await session.run()

    def stop(self) -> None:
        """Stop every session (running ones stop cleanly; scheduled ones never start)."""
        for session in self.sessions.values():
            session.stop("stopped")
