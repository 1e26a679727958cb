"""The session file and the event book: every decision is in the file when the call returns, and a
reopened book is the book that was left."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from core.model import Anchor, LoggedEvent
from core.session.book import EventBook, stored_from
from core.session.store import SessionStore
from core.sync.proposal import Candidate, Proposal

RATE = 16_000


def proposal(eid: str, n: int, revision: int = 0, alts: tuple[int, ...] = ()) -> Proposal:
    whistle = Anchor("whistle", n, n + 4000, 0.9, (3000.0,))
    candidates = (Candidate(n, "whistle", 0.7, whistle, "nearest whistle"),) + tuple(
        Candidate(a, "whistle", 0.1, None, "another whistle") for a in alts)
    return Proposal(eid, "foul", 10.0, n, 0.7, "whistle", whistle, candidates, "best whistle", False, revision)


def book_at(path: Path, operator: str = "carol") -> EventBook:
    return EventBook(SessionStore(path), operator, lambda t: int(round(t * RATE)))


def in_file(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT event_id, action, operator, status_before, n_before, status_after, n_after, "
                          "undoes FROM decisions ORDER BY seq").fetchall()


def test_each_decision_is_in_the_file_before_the_call_returns(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    book = book_at(path)
    book.add_event(LoggedEvent("e1", "foul", 10.0), 170_000)
    book.add_proposal(stored_from(proposal("e1", 150_000), 171_000))
    d = book.accept("e1")
    assert in_file(path) == [("e1", "accept", "carol", "pending", 150_000, "accepted", 150_000, None)]
    assert d.wall and d.seq == 1
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_reopened_book_has_the_same_statuses_times_and_undo_history(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    book = book_at(path)
    for i, eid in enumerate(("e1", "e2", "e3")):
        book.add_event(LoggedEvent(eid, "foul", 10.0 + i), 170_000 + i)
        book.add_proposal(stored_from(proposal(eid, 150_000 + i, alts=(140_000 + i,)), 171_000 + i))
    book.accept("e1")
    book.nudge("e2", 640)
    book.next_alternative("e3")
    book.reject("e1")
    before = dict(book.rows)
    book.store.close()

    again = book_at(path)
    assert again.rows == before
    assert again.add_event(LoggedEvent("e1", "foul", 10.0), 999) is False  # replayed intake is ignored
    again.undo()  # reverts the reject, not anything before it
    assert (again.rows["e1"].status, again.rows["e1"].n) == ("accepted", 150_000)
    again.undo()  # then the alternative
    assert (again.rows["e3"].status, again.rows["e3"].working_n) == ("pending", 150_002)
    assert [d[1] for d in in_file(path)] == ["accept", "nudge", "next_alternative", "reject", "undo", "undo"]


def test_alternatives_cycle_and_reject_keeps_the_logged_time(tmp_path: Path) -> None:
    book = book_at(tmp_path / "s.sqlite")
    book.add_event(LoggedEvent("e1", "foul", 10.0), 170_000)
    book.add_proposal(stored_from(proposal("e1", 150_000, alts=(140_000, 130_000)), 171_000))
    assert [book.next_alternative("e1").n_after for _ in range(3)] == [140_000, 130_000, 150_000]
    assert book.reject("e1").n_after == 170_000  # typed live: the logged moment is when it arrived
    book.add_event(LoggedEvent("e0", "foul", 10.0), 0)  # waiting in a file at the start
    assert book.reject("e0").n_after == 160_000  # the clock map's reading of its logged time
    assert book.cancel("e1").status_after == "cancelled"


def test_revisions_are_stored_once_and_the_newest_is_shown(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    book = book_at(path)
    book.add_event(LoggedEvent("e1", "foul", 10.0), 170_000)
    assert book.add_proposal(stored_from(proposal("e1", 150_000), 171_000))
    assert book.add_proposal(stored_from(proposal("e1", 151_000, revision=1), 175_000))
    assert not book.add_proposal(stored_from(proposal("e1", 150_000), 190_000))  # a replay after restart
    assert book.rows["e1"].proposal.n == 151_000
    assert book.rows["e1"].proposed_at_n == 171_000  # the deadline runs from the first proposal
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT revision, n FROM proposals ORDER BY revision").fetchall() == [
            (0, 150_000), (1, 151_000)]


def test_deadline_and_policy_decisions(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    book = book_at(path)
    book.add_event(LoggedEvent("e1", "foul", 10.0), 170_000)
    book.add_event(LoggedEvent("e2", "foul", 11.0), 170_000)
    book.add_proposal(stored_from(proposal("e1", 150_000), 171_000))
    assert book.due_for_deadline(171_000 + 15_999, 16_000) == []
    assert book.due_for_deadline(171_000 + 16_000, 16_000) == ["e1"]  # e2 has no proposal yet
    book.head_n = 187_000
    d = book.auto("e1", "deadline")
    assert (d.action, d.operator, d.status_after, d.media_n) == ("auto_deadline", "policy", "auto", 187_000)
    assert book.auto("e1", "deadline") is None  # never twice
    assert book.due_for_deadline(10**9, 16_000) == []
    book.undo()  # the operator takes the automatic decision back: the policy leaves the event to them
    assert book.rows["e1"].status == "pending"
    assert book.due_for_deadline(10**9, 16_000) == []
    assert book.auto("e1", "confidence") is None
    assert book_at(path).due_for_deadline(10**9, 16_000) == []  # also after a restart


def test_a_logger_correction_replaces_the_event_and_keeps_its_decisions(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    book = book_at(path)
    book.add_event(LoggedEvent("e1", "foul", 10.0), 170_000)
    book.add_proposal(stored_from(proposal("e1", 150_000), 171_000))
    book.accept("e1")
    assert book.add_event(LoggedEvent("e1", "offside", 10.4, {"note": "fixed"}), 200_000)
    assert not book.add_event(LoggedEvent("e1", "offside", 10.4, {"note": "fixed"}), 210_000)
    again = book_at(path)
    assert again.rows["e1"].event == LoggedEvent("e1", "offside", 10.4)
    assert again.rows["e1"].event.extra == {"note": "fixed"}
    assert (again.rows["e1"].arrived_n, again.rows["e1"].status) == (170_000, "accepted")


def test_position_and_proposals_are_visible_to_a_reopened_session(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    book = book_at(path)
    book.add_event(LoggedEvent("e1", "foul", 10.0), 170_000)
    book.add_proposal(stored_from(proposal("e1", 150_000), 171_000))
    book.store.set_position(999_000)
    again = SessionStore(path)
    assert again.get_meta("position") == "999000"
    assert again.latest_proposals()["e1"].n == 150_000


def test_deadlines_from_the_heap_are_those_a_pass_over_every_event_finds(tmp_path: Path) -> None:
    """The book reads only the events whose deadline came; it must find what reading them all finds, as
    proposals arrive, policies and operators decide, undo, and the book is reopened."""
    import random

    rng = random.Random(5)
    path = tmp_path / "s.sqlite"
    book = book_at(path)
    deadline = 16_000

    def every_event(b: EventBook, head_n: int) -> list[str]:
        return sorted(r.event.id for r in b.rows.values()
                      if r.status == "pending" and not b.decided_before(r.event.id) and r.proposal is not None
                      and r.proposal.n is not None and head_n - r.proposed_at_n >= deadline)

    head = 100_000
    for step in range(300):
        head += rng.randrange(0, 3000)
        book.head_n = head
        eid = f"e{rng.randrange(60)}"
        action = rng.random()
        if eid not in book.rows:
            book.add_event(LoggedEvent(eid, "foul", head / RATE), head)
        elif action < 0.5:
            revision = book.rows[eid].proposal.revision + 1 if book.rows[eid].proposal else 0
            book.add_proposal(stored_from(proposal(eid, head - 5000, revision), head))
        elif action < 0.6:
            book.accept(eid)
        elif action < 0.65:
            book.undo()
        assert sorted(book.due_for_deadline(head, deadline)) == every_event(book, head), step
        if step % 3 == 0:  # the policy takes some of them
            for due in book.due_for_deadline(head, deadline)[:2]:
                book.auto(due, "deadline")
        if step == 150:
            book = book_at(path)
            book.head_n = head
