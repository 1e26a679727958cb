"""The outbox on real SQLite files: gap-free sequence across restarts, revisions, atomic appends,
cursors, timecodes, group commit and heartbeats."""
from __future__ import annotations

import asyncio
import math
import sqlite3

import pytest

from core.model import LoggedEvent
from core.publish.message import Draft, provisional
from core.publish.outbox import Outbox
from core.publish.publisher import Publisher


def draft(i: int, status: str = "provisional", t: float | None = None) -> Draft:
    return Draft(id=f"ev-{i}", type="foul", status=status, t=100.0 + i if t is None else t,
                 t_logged=103.0 + i, confidence=0.9, basis="whistle", operator="op")


def rows(path) -> list[tuple[str, int, str, int]]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT session, seq, id, revision FROM outbox ORDER BY session, seq").fetchall()


def test_sequence_has_no_gaps_across_restarts_and_revisions_count_per_id(tmp_path):
    path = tmp_path / "session.sqlite"
    for round_ in range(3):
        box = Outbox(path, "match-1")
        box.append([draft(i) for i in range(5)])
        box.append([draft(2, "confirmed")])
        box.close()
    seqs = [seq for _, seq, _, _ in rows(path)]
    assert seqs == list(range(1, 19))
    box = Outbox(path, "match-1")
    pubs = box.after(0, limit=100)
    assert [p.seq for p in pubs] == seqs
    assert [p.revision for p in pubs if p.id == "ev-2"] == [1, 2, 3, 4, 5, 6]
    assert [p.revision for p in pubs if p.id == "ev-4"] == [1, 2, 3]
    assert box.last_seq() == 18
    assert [p.seq for p in box.after(15)] == [16, 17, 18]
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_failed_append_leaves_no_gap_and_no_partial_batch(tmp_path):
    box = Outbox(tmp_path / "s.sqlite", "m")
    box.append([draft(1)])
    with pytest.raises(ValueError):
        box.append([draft(2), draft(3, t=math.nan), draft(4)])
    box.append([draft(5)])
    assert [(p.seq, p.id) for p in box.after(0)] == [(1, "ev-1"), (2, "ev-5")]


def test_sessions_sharing_a_file_have_their_own_sequences_and_cursors(tmp_path):
    path = tmp_path / "shared.sqlite"
    a, b = Outbox(path, "a"), Outbox(path, "b")
    a.append([draft(1), draft(2)])
    b.append([draft(1)])
    a.append([draft(3)])
    assert [p.seq for p in a.after(0)] == [1, 2, 3] and [p.seq for p in b.after(0)] == [1]
    a.set_cursor("jsonl", 2)
    b.set_cursor("jsonl", 1)
    a.close()
    assert Outbox(path, "a").cursor("jsonl") == 2 and b.cursor("jsonl") == 1
    assert Outbox(path, "a").cursor("mqtt") == 0


@pytest.mark.parametrize("fps, t, expected", [
    ("25", 61.5, "00:01:01:12"),
    ("29.97", 60.0, "00:00:59;28"),   # frame 1798 just before the dropped labels of minute 1
    ("29.97", 600.6, "00:10:00;18"),  # minute 10 keeps its labels: 18000 frames = 10:00;00
    ("50", 3.02, "00:00:03:01"),
    ("59.94", 60.1, "00:01:00;06"),   # frame 3602: minute 1 starts at ;04 (;00-;03 dropped)
])
def test_publication_fields_and_timecode_at_each_rate(tmp_path, fps, t, expected):
    box = Outbox(tmp_path / "tc.sqlite", "m", fps=fps)
    (pub,) = box.append([Draft(id="g1", type="goal", status="corrected", t=t, t_logged=t + 2.5,
                               confidence=0.97, basis="crowd", operator="ana")])
    assert (pub.timecode, pub.fps, pub.status, pub.type) == (expected, fps, "corrected", "goal")
    assert pub.correction_ms == -2500 and (pub.confidence, pub.basis, pub.operator) == (0.97, "crowd", "ana")
    assert (pub.t, pub.t_logged, pub.seq, pub.revision) == (round(t, 4), t + 2.5, 1, 1)


def test_provisional_uses_the_clock_mapped_time_and_nothing_earlier():
    event = LoggedEvent(id="f9", type="foul", t=1834.2)
    d = provisional(event, t_mapped=1826.7, logger="ann")
    assert (d.status, d.t, d.t_logged, d.basis, d.logger) == ("provisional", 1826.7, 1834.2, "clock", "ann")
    with pytest.raises(ValueError):
        Draft(id="x", type="foul", status="maybe", t=1.0, t_logged=1.0)


async def test_publisher_group_commits_concurrent_publishes_durably(tmp_path):
    path = tmp_path / "p.sqlite"
    publisher = Publisher(Outbox(path, "m"))
    await publisher.start()
    try:
        pubs = await asyncio.gather(*(publisher.publish(draft(i)) for i in range(300)))
        assert sorted(p.seq for p in pubs) == list(range(1, 301))
        assert [p.id for p in sorted(pubs, key=lambda p: p.seq)] == [f"ev-{i}" for i in range(300)]
        assert publisher.last_seq == 300
        assert len(rows(path)) == 300  # visible to another connection: committed
    finally:
        await publisher.close()


async def test_heartbeat_carries_the_last_sequence_and_waiters_wake(tmp_path):
    publisher = Publisher(Outbox(tmp_path / "h.sqlite", "m"), heartbeat_s=0.05)
    beats: list[dict] = []

    async def listen(message: dict) -> None:
        beats.append(message)

    publisher.on_heartbeat(listen)
    await publisher.start()
    try:
        waiter = asyncio.create_task(publisher.wait_beyond(0, timeout=10))
        await publisher.publish(draft(1))
        await publisher.publish(draft(2))
        await asyncio.wait_for(waiter, 1)
        await asyncio.sleep(0.2)
        assert beats and beats[-1]["last_seq"] == 2 and beats[-1]["session"] == "m"
        assert beats[-1]["heartbeat"] is True
    finally:
        await publisher.close()


async def test_one_bad_draft_in_a_group_commit_fails_alone(tmp_path):
    publisher = Publisher(Outbox(tmp_path / "g.sqlite", "m"))
    await publisher.start()
    try:
        results = await asyncio.gather(*(publisher.publish(draft(i, t=math.nan if i == 7 else None))
                                         for i in range(20)), return_exceptions=True)
        assert isinstance(results[7], ValueError)
        good = [r for i, r in enumerate(results) if i != 7]
        assert sorted(p.seq for p in good) == list(range(1, 20))
        assert publisher.last_seq == 19
    finally:
        await publisher.close()
