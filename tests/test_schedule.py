"""Schedules: fixtures from iCalendar and CSV, and a match day of three overlapping simulated
fixtures run unattended on a fast clock, publishing to a real three-node NATS JetStream cluster of
which one node is killed mid-match."""
from __future__ import annotations

import asyncio
import io
import json
import shutil
import sqlite3
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from core.errors import InputError
from core.publish.sink_nats import NatsTarget, connect, follow_match
from core.serve.clock import FastClock
from core.serve.nats_cluster import NatsCluster
from core.serve.schedule import load_schedule
from core.serve.scheduler import Scheduler
from core.serve.session import SessionConfig
from core.serve.status import StatusBoard, StatusServer

RATE = 15.0  # clock seconds per real second; sources play this many times live pace
LEAD_S = 150.0  # 10 real seconds: building a simulated match takes 3-7 s on a busy machine
MINUTES = 1.5


def ics(fixtures: list[tuple[str, datetime, str, str]]) -> str:
    events = "".join(
        "BEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{kickoff.strftime('%Y%m%dT%H%M%SZ')}\r\n"
        f"SUMMARY:{uid}\r\nURL:{source}\r\nCATEGORIES:Cup\r\nX-MATCHSYNC-SINKS:{sinks}\r\n"
        "END:VEVENT\r\n" for uid, kickoff, source, sinks in fixtures)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//matchsync tests//EN\r\n{events}END:VCALENDAR\r\n"


def test_csv_and_ics_give_the_same_fixtures(tmp_path):
    kickoff = datetime(2026, 11, 28, 15, 0, tzinfo=timezone.utc)
    (tmp_path / "day.csv").write_text(
        "fixture_id,kickoff,source,sinks,competition\n"
        "late,2026-11-28T17:30:00+00:00,udp://239.0.0.1:5000,jsonl:/tmp/l.jsonl,Cup\n"
        f"early,{kickoff.isoformat()},demo:3:2,jsonl:/tmp/e.jsonl nats:127.0.0.1:4222/cup,Cup\n")
    (tmp_path / "day.ics").write_text(ics([
        ("late", kickoff + timedelta(hours=2, minutes=30), "udp://239.0.0.1:5000", "jsonl:/tmp/l.jsonl"),
        ("early", kickoff, "demo:3:2", "jsonl:/tmp/e.jsonl nats:127.0.0.1:4222/cup")]))
    from_csv = load_schedule(tmp_path / "day.csv")
    assert from_csv == load_schedule(tmp_path / "day.ics")
    assert [f.id for f in from_csv] == ["early", "late"]
    assert from_csv[0].kickoff == kickoff and from_csv[0].competition == "Cup"
    assert from_csv[0].sinks == ("jsonl:/tmp/e.jsonl", "nats:127.0.0.1:4222/cup")


@pytest.mark.parametrize("name, text, words", [
    ("a.csv", "id,kickoff\nx,2026-01-01T10:00\n", "missing column fixture_id"),
    ("b.csv", "fixture_id,kickoff,source,sinks\nx,tomorrow,demo,\n", "b.csv:2: kickoff 'tomorrow'"),
    ("c.csv", "fixture_id,kickoff,source,sinks\nx,2026-01-01T10:00,demo,\nx,2026-01-01T11:00,demo,\n",
     "fixture id 'x' appears twice"),
    ("d.csv", "fixture_id,kickoff,source,sinks\n", "no fixtures"),
    ("e.ics", "this is not a calendar", "not a readable iCalendar file"),
    ("f.ics", ics([("x", datetime(2026, 1, 1, tzinfo=timezone.utc), "", "")]).replace("URL:\r\n", ""),
     "needs UID, DTSTART and URL"),
])
def test_bad_schedules_name_file_and_problem(tmp_path, name, text, words):
    (tmp_path / name).write_text(text)
    with pytest.raises(InputError) as err:
        load_schedule(tmp_path / name)
    assert name in str(err.value) and words in str(err.value)


@pytest.fixture
def cluster(tmp_path):
    if shutil.which("nats-server") is None:
        pytest.skip("nats-server not installed")
    nodes = NatsCluster(tmp_path / "nats")
    nodes.start()
    yield nodes
    nodes.stop()


async def _kill_stream_leader_when_live(cluster, board, fixture: str, stream: str) -> str:
    while board.reports.get(fixture) is None or board.reports[fixture].state != "live":
        await asyncio.sleep(0.05)
    nc = await connect(cluster.servers)
    try:
        while True:
            try:
                leader = (await nc.jetstream().stream_info(stream)).cluster.leader
            except Exception:  # the stream appears with the first publication
                leader = None
            if leader is not None:
                break
            await asyncio.sleep(0.1)
    finally:
        await nc.close()
    await asyncio.sleep(1.0)  # mid-match
    cluster.kill(next(n for n in cluster.nodes if n.name == leader))
    return leader


async def _poll_status(url: str, seen: set[tuple[str, str]], done: asyncio.Event) -> int:
    """Read the status endpoint until the day is over; returns the status code without a token."""
    async with httpx.AsyncClient() as client:
        refused = (await client.get(url)).status_code
        while not done.is_set():
            body = (await client.get(url, headers={"Authorization": "Bearer day-token"})).json()
            seen.update((s["name"], s["state"]) for s in body["sessions"])
            await asyncio.sleep(0.2)
    return refused


def _outbox(path) -> list[tuple[str, int]]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT id, revision FROM outbox ORDER BY seq").fetchall()


async def test_three_overlapping_fixtures_run_unattended(tmp_path, cluster):
    t0 = datetime.now(timezone.utc).replace(microsecond=0)
    kickoffs = {"fx-a": t0 + timedelta(seconds=160), "fx-b": t0 + timedelta(seconds=190),
                "fx-c": t0 + timedelta(seconds=220)}
    seeds = {"fx-a": 3, "fx-b": 5, "fx-c": 8}
    (tmp_path / "day.ics").write_text(ics([
        (fx, kickoff, f"demo:{seeds[fx]}:{MINUTES}",
         f"jsonl:{tmp_path / fx}.jsonl nats:{cluster.addresses}/Cup")
        for fx, kickoff in kickoffs.items()]))
    fixtures = load_schedule(tmp_path / "day.ics")
    clock = FastClock(t0, RATE)
    board = StatusBoard(tmp_path / "status.json", out=io.StringIO())
    template = SessionConfig(name="", source="", session_path=tmp_path, speed=RATE, deadline_s=3.0,
                             margin_s=1.0, hard_limit_s=400.0)
    scheduler = Scheduler(fixtures, template, tmp_path / "sessions", clock, board, LEAD_S)
    target = NatsTarget.parse(f"{cluster.addresses}/Cup")
    killer = asyncio.create_task(_kill_stream_leader_when_live(cluster, board, "fx-b", target.stream))
    endpoint = StatusServer(board, ("day-token",))
    await endpoint.start()
    done, seen = asyncio.Event(), set()
    poller = asyncio.create_task(_poll_status(f"http://127.0.0.1:{endpoint.port}/status", seen, done))
    reports = {r.name: r for r in await scheduler.run()}
    done.set()
    refused = await poller
    await endpoint.close()
    killed = await killer
    print(board.out.getvalue())
    for r in reports.values():
        print(r.name, r.started, r.live, r.stopping, r.stopped, r.reason, r.media_s)

    match_s = MINUTES * 60
    for fx, kickoff in kickoffs.items():
        r = reports[fx]
        assert r.state == "finished" and r.reason in ("full time", "source ended"), r
        start_late = (r.started - (kickoff - timedelta(seconds=LEAD_S))).total_seconds()
        assert 0 <= start_late <= RATE * 2.0, (fx, start_late)  # within two real seconds of its time
        ran = (r.stopping - r.live).total_seconds()
        assert match_s * 0.9 <= ran <= match_s + template.margin_s + RATE * 3.0, (fx, ran)
        assert (r.stopped - r.stopping).total_seconds() <= RATE * template.drain_timeout_s
        assert r.undelivered == 0 and r.events > 0
    assert reports["fx-a"].stopped > reports["fx-b"].live and reports["fx-b"].stopped > reports["fx-c"].live
    states = [(name, state) for name, state, _ in board.history]
    for fx in kickoffs:
        assert [s for n, s in states if n == fx] == ["scheduled", "starting", "live", "finished"]
    assert refused == 401 and {(fx, "live") for fx in kickoffs} <= seen  # the endpoint showed them live
    status = json.loads((tmp_path / "status.json").read_text())
    assert {s["name"]: s["state"] for s in status["sessions"]} == dict.fromkeys(kickoffs, "finished")

    alive = [n.url for n in cluster.nodes if n.name != killed]
    nc = await connect(alive)
    js = nc.jetstream()
    for fx in kickoffs:
        published = _outbox(tmp_path / "sessions" / f"{fx}.sqlite")
        subject = target.subject(fx)
        info = await js.stream_info(target.stream, subjects_filter=subject)
        assert info.state.subjects[subject] == len(published)  # none twice in the stream
        followed = [(p.id, p.revision) async for p in follow_match(alive, "Cup", fx, idle_s=1.0)]
        assert followed == published
        jsonl = [json.loads(line) for line in (tmp_path / f"{fx}.jsonl").read_text().splitlines()]
        assert [(p["id"], p["revision"]) for p in jsonl] == published
    await nc.close()


async def test_a_fixture_whose_window_has_passed_is_reported_missed(tmp_path):
    now = datetime.now(timezone.utc)
    (tmp_path / "day.csv").write_text("fixture_id,kickoff,source,sinks\n"
                                      f"old,{(now - timedelta(hours=5)).isoformat()},demo:1:1,\n")
    board = StatusBoard(tmp_path / "status.json", out=io.StringIO())
    template = SessionConfig(name="", source="", session_path=tmp_path, hard_limit_s=4 * 3600.0)
    scheduler = Scheduler(load_schedule(tmp_path / "day.csv"), template, tmp_path, FastClock(now, 1.0),
                          board, LEAD_S)
    (report,) = await scheduler.run()
    assert report.state == "failed" and report.reason.startswith("missed")
    assert "old failed (missed" in board.out.getvalue()
    assert not (tmp_path / "old.sqlite").exists()
