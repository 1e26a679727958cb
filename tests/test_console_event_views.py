"""The event table and lane follow the book incrementally: the table a row at a time (read when painted),
the lane from arrays of positions. Each must show what a fresh, full reading of the book shows."""
from __future__ import annotations

import random
from pathlib import Path

from app.views.lane_index import LaneIndex
from app.views.table import COLUMNS, EventTableModel
from core.model import LoggedEvent
from core.session.book import EventBook
from core.session.store import SessionStore, StoredProposal
from core.sync.clock_map import ClockMap

RATE = 16_000


class Console:
    """A book on a session file with a clock map that changes as the test goes."""

    def __init__(self, path: Path) -> None:
        self.clock_map: ClockMap | None = None
        self.book = EventBook(SessionStore(path), "dana", self.logged_to_media)
        self.head_n = 0

    def logged_to_media(self, t: float) -> int:
        if self.clock_map is None:
            return int(round(t * RATE))
        return int(round(self.clock_map.media_time(t) * RATE))

    def view(self, eid: str):
        row = self.book.rows[eid]
        left = None if row.proposed_at_n is None else 60.0 - (self.head_n - row.proposed_at_n) / RATE
        return row, self.book.logged_n(eid), left

    def step(self, rng: random.Random, k: int) -> None:
        """Some events arrive, some are corrected, some get proposals or decisions; the map may move."""
        self.head_n += rng.randrange(RATE, 20 * RATE)
        self.book.head_n = self.head_n
        for _ in range(rng.randrange(1, 30)):
            i = rng.randrange(k * 20 + 20)
            eid = f"ev-{i}"
            t = self.head_n / RATE - rng.uniform(0, 100)
            row = self.book.rows.get(eid)
            if row is None or rng.random() < 0.1:  # new, or a logger's correction
                self.book.add_event(LoggedEvent(eid, rng.choice(("foul", "goal")), t), self.head_n)
            elif rng.random() < 0.6:
                revision = 0 if row.proposal is None else row.proposal.revision + 1
                self.book.show_proposal(StoredProposal(eid, revision, self.head_n - rng.randrange(10 * RATE),
                                                       rng.random(), "whistle", self.head_n, {}))
            elif row.working_n is not None:
                rng.choice((self.book.accept, self.book.cancel, self.book.reject))(eid)
        if rng.random() < 0.5:
            self.clock_map = ClockMap(rng.uniform(-50, 50), (rng.uniform(0, 400),), (rng.uniform(-30, 30),
                                      rng.uniform(-30, 30)), 0.5, 0.5, 10)


def cells(model: EventTableModel) -> list[list]:
    return [[model.index(r, c).data(role) for c in range(len(COLUMNS)) for role in (0, 7, 9)]
            for r in range(model.rowCount())]


def test_the_table_refreshed_as_events_come_shows_what_a_new_table_shows(qapp, tmp_path: Path) -> None:
    rng = random.Random(11)
    console = Console(tmp_path / "s.sqlite")
    model = EventTableModel(RATE, str, console.book.ids, console.view)
    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _parent, first, last: inserted.append((first, last)))
    for k in range(25):
        console.step(rng, k)
        model.refresh()
        fresh = EventTableModel(RATE, str, console.book.ids, console.view)
        fresh.refresh()
        assert model.rowCount() == len(console.book.rows)
        assert cells(model) == cells(fresh)
        assert all(model.row_of(eid) == i for i, eid in enumerate(console.book.ids))
    assert [first for first, _ in inserted] == [0] + [last + 1 for _, last in inserted[:-1]]  # appended only


def test_the_lane_index_finds_the_events_a_pass_over_every_row_finds(tmp_path: Path) -> None:
    rng = random.Random(3)
    console = Console(tmp_path / "s.sqlite")
    lane = LaneIndex(console.book, RATE)
    for k in range(40):
        console.step(rng, k)
        lo = console.head_n - rng.uniform(0, 200) * RATE
        hi = lo + rng.uniform(0, 100) * RATE
        limit = rng.choice((3, 1000))
        every = [eid for eid in console.book.ids
                 if lo <= console.book.logged_n(eid) <= hi
                 or console.book.rows[eid].working_n is not None and lo <= console.book.rows[eid].working_n <= hi]
        assert lane.near(console.clock_map, lo, hi, limit) == every[-limit:], k
    assert len(console.book.ids) > 100
