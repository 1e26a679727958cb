"""The causal sync engine the console drives: anchors and logged events in arrival order, proposals out.

Each ``advance`` with new input re-solves everything known so far (cheap: a match has a few hundred
events and anchors), so a proposal appears as soon as its event and anchor are both known, later
evidence revises it, and the final answers are the offline answers. The console runs it in a process of
its own (``EngineProcess``), so solving never slows its GUI thread.
"""
from __future__ import annotations

import dataclasses
import multiprocessing
import os
from collections.abc import Iterable
from multiprocessing.connection import Connection

import numpy as np

from core import ANALYSIS_RATE
from core.model import Anchor, LoggedEvent
from core.sync.clock_map import ClockMap
from core.sync.lateness import LatenessModel
from core.sync.proposal import Proposal
from core.sync.settings import SyncSettings
from core.sync.solver import Causes, solve


class SyncEngine:
    """Causal sync: feed anchors and events as they come, call ``advance`` as audio is analysed."""

    def __init__(self, rate: int = ANALYSIS_RATE, settings: SyncSettings | None = None) -> None:
        self.rate = rate
        self.settings = settings or SyncSettings()
        self._anchors: dict[tuple[str, int], Anchor] = {}
        self._events: dict[str, LoggedEvent] = {}
        self._issued: dict[str, Proposal] = {}
        self._map = ClockMap.prior(self.settings)
        self._lateness = LatenessModel()
        self._dirty = False
        self._cause_index: Causes | None = None
        self.n = 0

    def add_anchors(self, anchors: Iterable[Anchor]) -> None:
        """Anchors from the detector pipeline, as they are found; one with the kind and start of an anchor
        seen before is its revision and replaces it (or removes it, if withdrawn)."""
        for a in anchors:
            key = (a.kind, a.start)
            if a.withdrawn:
                self._dirty |= self._anchors.pop(key, None) is not None
            elif self._anchors.get(key) != a:
                self._anchors[key] = a
                self._dirty = True

    def add_event(self, event: LoggedEvent) -> None:
        """A logged event in arrival order; an id seen before replaces that event (a logger's correction)."""
        self._events[event.id] = event
        self._dirty = True
        self._cause_index = None

    def advance(self, n: int) -> list[Proposal]:
        """Audio is analysed up to sample ``n``; returns proposals that are new or revised since last call."""
        self.n = max(self.n, n)
        if not self._dirty:
            return []
        self._dirty = False
        solution = solve(list(self._anchors.values()), list(self._events.values()), self.rate, self.settings)
        self._map = solution.clock_map
        self._lateness = solution.lateness
        changed = []
        self._cause_index = None
        for eid, fresh in solution.proposals.items():
            old = self._issued.get(eid)
            if old is not None and not self._differs(old, fresh):
                continue
            fresh = dataclasses.replace(fresh, revision=0 if old is None else old.revision + 1)
            self._issued[eid] = fresh
            changed.append(fresh)
        return changed

    def clock_map(self) -> ClockMap:
        """The latest clock map (offset, drift, confidence) for the status bar."""
        return self._map

    def provisional(self, event: LoggedEvent) -> int:
        """A media time for publishing ``event`` before any decision: the clock map, and only as much
        lateness correction as leaves at most ``provisional_early_p`` chance of being early (issue 10);
        a card or free kick never before its foul's whistle plus the least delay."""
        timing = self._lateness.timing(event.type, self.settings)
        order = np.argsort(timing.dev)
        cdf = np.cumsum(timing.w[order])
        worst = float(timing.dev[order][np.searchsorted(cdf, self.settings.provisional_early_p)])
        predicted = self._map.media_time(event.t) - self._lateness.shift_for(event.type)
        margin = max(0.0, -worst - self.settings.spoiler_s) + 2.0 * self._map.spread_s
        n = int(round((predicted + margin) * self.rate))
        found = self._causes().floor(event, self.rate, self.settings)
        return n if found is None else max(n, found[0])

    def _causes(self) -> Causes:
        """The cause index of the latest solution (built on first use after each solve)."""
        if self._cause_index is None:
            self._cause_index = Causes(list(self._events.values()), self._issued)
        return self._cause_index

    def proposals(self) -> dict[str, Proposal]:
        """The latest issued proposal per event id."""
        return dict(self._issued)

    def _differs(self, old: Proposal, new: Proposal) -> bool:
        return (abs(old.n - new.n) > self.settings.revise_s * self.rate or old.basis != new.basis
                or old.anchor != new.anchor or old.type != new.type or old.t_logged != new.t_logged
                or abs(old.confidence - new.confidence) >= 0.1 or old.early_risk != new.early_risk)


PROPOSAL_SLICE = 100
"""Proposals per message from the engine process: the receiving side decodes a slice at a time."""
ENGINE_NICE = 10
"""The engine process's scheduling niceness: on a busy machine a long re-solve gives way to the process
that drives it (its GUI, its intake)."""


class EngineProcess:
    """A SyncEngine in a child process, driven by the same calls (``add_anchors``, ``add_event``,
    ``advance``, ``clock_map``): a re-solve, pure Python that grows with every event known, then no longer
    competes for the interpreter lock with the threads of the process that drives it (the console's GUI
    thread). Only what changed crosses the pipe: new anchors and events, new or revised proposals. A new
    revision of an anchor (same kind and start) replaces it as in ``SyncEngine``."""

    def __init__(self, rate: int = ANALYSIS_RATE, settings: SyncSettings | None = None) -> None:
        self.rate = rate
        self.settings = settings or SyncSettings()
        context = multiprocessing.get_context("spawn")  # the driving process has threads: never fork it
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, rate, self.settings), name="sync-engine",
                                        daemon=True)
        self._process.start()
        child.close()
        self._anchors: list[Anchor] = []
        self._events: list[LoggedEvent] = []
        self._map = ClockMap.prior(self.settings)
        self._closed = False

    def add_anchors(self, anchors: Iterable[Anchor]) -> None:
        """Anchors from the detector pipeline, as they are found (sent with the next ``advance``)."""
        self._anchors.extend(anchors)

    def add_event(self, event: LoggedEvent) -> None:
        """A logged event in arrival order (sent with the next ``advance``)."""
        self._events.append(event)

    def advance(self, n: int) -> list[Proposal]:
        """As ``SyncEngine.advance``; waits for the child's solve (without holding the interpreter lock).
        Once closed (a solve may still be under way as the console closes), nothing more is proposed."""
        if not self._anchors and not self._events:
            return []
        proposals: list[Proposal] = []
        try:
            self._conn.send((n, self._anchors, self._events))
            self._anchors, self._events = [], []
            while True:
                kind, payload = self._conn.recv()
                if kind != "proposals":
                    break
                proposals += payload
        except (EOFError, OSError):
            if self._closed:
                return []
            raise
        if kind == "map":
            self._map = payload
            return proposals
        raise RuntimeError(f"sync engine process: {payload}")

    def clock_map(self) -> ClockMap:
        """The latest clock map."""
        return self._map

    def close(self) -> None:
        """Stop the child process (a solve under way is abandoned)."""
        self._closed = True
        self._process.kill()
        self._process.join()
        self._conn.close()


def _serve(conn: Connection, rate: int, settings: SyncSettings) -> None:
    """The child's loop: apply what arrived, solve, answer with the changed proposals and the map; ends
    when the parent closes its end (or dies)."""
    os.nice(ENGINE_NICE)
    engine = SyncEngine(rate, settings)
    while True:
        try:
            n, anchors, events = conn.recv()
        except (EOFError, OSError):
            return
        try:
            engine.add_anchors(anchors)
            for event in events:
                engine.add_event(event)
            changed = engine.advance(n)
        except Exception as exc:  # the parent raises it where it drives the engine
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
            continue
        for i in range(0, len(changed), PROPOSAL_SLICE):
            conn.send(("proposals", changed[i:i + PROPOSAL_SLICE]))
        conn.send(("map", engine.clock_map()))
