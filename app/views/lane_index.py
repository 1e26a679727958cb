"""Where each event sits on the event lane's time axis, as arrays: finding the events near the view reads
every event's position at numpy speed, not every event's row in Python (a flood of network events must not
make each lane refresh cost a pass over tens of thousands of rows)."""
from __future__ import annotations

import numpy as np

from core.session.book import EventBook
from core.sync.clock_map import ClockMap


def logged_samples(clock_map: ClockMap | None, t: np.ndarray, arrived: np.ndarray, rate: int) -> np.ndarray:
    """``EventBook.logged_n`` for many events at once: the later of its arrival and its logged time on the
    media clock through the clock map."""
    media = t if clock_map is None else clock_map.media_times(t)
    return np.maximum(arrived, np.rint(media * rate))


class LaneIndex:
    """Follows an event book (as one of its listeners): each event's logged and working media samples in
    arrival order, brought up to date when asked."""

    def __init__(self, book: EventBook, rate: int) -> None:
        self.book = book
        self.rate = rate
        self._pos: dict[str, int] = {}
        self._t = np.empty(0)
        self._arrived = np.empty(0)
        self._work = np.empty(0)
        """Working media sample per event (NaN while it has none)."""
        self._logged = np.empty(0)
        self._map: object = None
        self._changed: set[str] = set()
        book.listeners.append(self._changed.add)

    def near(self, clock_map: ClockMap | None, lo_n: float, hi_n: float, limit: int) -> list[str]:
        """The newest ``limit`` events (in arrival order) logged or placed between samples ``lo_n`` and
        ``hi_n``, under ``clock_map``."""
        self._update(clock_map)
        with np.errstate(invalid="ignore"):
            inside = ((lo_n <= self._logged) & (self._logged <= hi_n)) | ((lo_n <= self._work) & (self._work <= hi_n))
        ids = self.book.ids
        return [ids[i] for i in np.flatnonzero(inside)[-limit:]] if limit else []

    def _update(self, clock_map: ClockMap | None) -> None:
        ids, rows, known = self.book.ids, self.book.rows, len(self._pos)
        if len(ids) > known:
            fresh = ids[known:]
            self._pos.update((eid, known + i) for i, eid in enumerate(fresh))
            self._t = np.concatenate((self._t, np.zeros(len(fresh))))
            self._arrived = np.concatenate((self._arrived, np.zeros(len(fresh))))
            self._work = np.concatenate((self._work, np.zeros(len(fresh))))
            self._logged = np.concatenate((self._logged, np.zeros(len(fresh))))
            self._changed.update(fresh)
        if self._changed:
            at = np.fromiter((self._pos[eid] for eid in self._changed), np.int64, len(self._changed))
            changed = [rows[eid] for eid in self._changed]
            self._changed.clear()
            self._t[at] = [r.event.t for r in changed]
            self._arrived[at] = [r.arrived_n for r in changed]
            self._work[at] = [np.nan if r.working_n is None else r.working_n for r in changed]
            if clock_map is self._map:
                self._logged[at] = logged_samples(clock_map, self._t[at], self._arrived[at], self.rate)
        if clock_map is not self._map:  # logged times move only with the clock map
            self._map = clock_map
            self._logged = logged_samples(clock_map, self._t, self._arrived, self.rate)
