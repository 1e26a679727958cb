"""The console's read-only follow mode against a real three-node nats-server cluster on loopback: the
view shows the newest revision per event as published through the real NATS sink, a new revision
updates its row in place, following survives killing the node the console is connected to, an
unreachable server is named in the status line, and a malformed URL exits 2 before any window."""
from __future__ import annotations

import asyncio
import shutil
import time
from datetime import datetime
from pathlib import Path

import nats
import pytest
import qasync

from app.follow_mode import open_follow_window
from app.main import main
from app.panels.stream_follow import StreamFollower, parse_follow_url, row_cells
from app.theme import apply_theme
from core.publish.message import Draft, Publication
from core.publish.sink_nats import NatsSink, NatsTarget
from core.serve.nats_cluster import NatsCluster
from core.serve.ports import free_port
from core.serve.sinks import ServePublishing

needs_nats = pytest.mark.skipif(shutil.which("nats-server") is None, reason="nats-server not installed")


@pytest.fixture
def loop(qapp):
    loop = qasync.QEventLoop(qapp, already_running=False)
    asyncio.set_event_loop(loop)
    yield loop
    loop.close()
    asyncio.set_event_loop(None)


async def until(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("url", ["nats://127.0.0.1/cup/m1", "nats://127.0.0.1:4222/cup",
                                 "http://127.0.0.1:4222/cup/m1", "nats://127.0.0.1:99999/cup/m1"])
def test_malformed_url_exits_2_with_one_line_before_any_window(url, capsys):
    assert main(["--follow", url]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("matchsync console: --follow:") and url in err[0]
    assert "Traceback" not in err[0]


def test_url_names_servers_stream_and_subject():
    target = parse_follow_url("nats://127.0.0.1:4222,10.0.0.2:4223/Premier League/fx 1")
    assert target.servers == ("nats://127.0.0.1:4222", "nats://10.0.0.2:4223")
    assert (target.stream, target.subject("")) == ("MATCHSYNC_Premier_League", "matchsync.Premier_League.fx_1")


def test_unreachable_server_is_named_in_the_status_line(qtbot, qapp, loop):
    follower = StreamFollower(parse_follow_url(f"nats://127.0.0.1:{free_port()}/cup/m1"))
    window = open_follow_window(follower)
    qtbot.addWidget(window)
    window.show()

    async def scenario() -> None:
        follower.start()
        await until(lambda: "no NATS server answers" in window.summary.text(), timeout=10.0)

    try:
        loop.run_until_complete(scenario())
    finally:
        loop.run_until_complete(follower.stop())
    assert window.table.rowCount() == 0


class Publisher:
    """Revisions through the real outbox (revision numbers, timecodes) and the real NATS sink."""

    def __init__(self, db: Path, servers: str, match: str) -> None:
        self.outbox = ServePublishing(db, match, [])
        self.sink = NatsSink(NatsTarget.parse(f"{servers}/cup/{match}"), match)
        self.sent: list[Publication] = []

    async def send(self, eid: str, status: str, t: float, t_logged: float, operator: str | None = None) -> None:
        """Publish one revision, re-sending until the stream acknowledges it (as the sink's runner does:
        right after a node dies the stream may have no leader for a moment; the server drops repeats)."""
        pub = await self.outbox.publish(Draft(eid, "foul", status, t, t_logged, operator=operator))
        deadline = time.monotonic() + 30.0
        while True:
            try:
                await self.sink.deliver([pub])
                break
            except (TimeoutError, nats.errors.Error):
                assert time.monotonic() < deadline, f"{eid} revision {pub.revision} never acknowledged"
                await asyncio.sleep(0.2)
        self.sent.append(pub)

    def newest(self) -> dict[str, tuple[int, Publication]]:
        """Per id: its newest revision and that revision's place in this match's stream (one match per
        stream here, so the stream sequence is the send order)."""
        out: dict[str, tuple[int, Publication]] = {}
        for seq, pub in enumerate(self.sent, 1):
            out[pub.id] = (seq, pub)
        return out


@needs_nats
def test_follow_view_shows_newest_revision_per_id_and_survives_a_node_failure(qtbot, qapp, loop, tmp_path):
    apply_theme(qapp)
    cluster = NatsCluster(tmp_path / "nats")
    cluster.start(timeout_s=60.0)  # the machine is shared: electing a meta leader can take a while
    first = cluster.nodes[0]
    # the console names only the first node: it learns the others from the cluster, and that first node
    # is the one killed below, so the console's own connection is the one that fails
    follower = StreamFollower(parse_follow_url(f"nats://127.0.0.1:{first.port}/cup/m1"))
    window = open_follow_window(follower)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    publisher = Publisher(tmp_path / "m1.sqlite", cluster.addresses, "m1")

    def expected() -> list[tuple[str, ...]]:
        return [(p.id, p.type, p.status, str(p.revision), f"{p.t:.2f}", p.timecode, f"{p.correction_ms:+d}",
                 p.operator or "", str(seq)) for seq, p in publisher.newest().values()]

    def shown() -> list[tuple[str, ...]]:
        return [cells[:-1] for cells in window.rows()]

    async def scenario() -> None:
        await publisher.outbox.start()
        await publisher.send("ev-1", "provisional", 12.0, 12.0)
        await publisher.send("ev-2", "provisional", 30.5, 30.5)
        await publisher.send("ev-1", "corrected", 11.2, 12.0, "alice")
        await publisher.send("ev-3", "provisional", 47.0, 47.0)
        follower.start()  # joins after the first revisions: it replays the stream from its start
        await until(lambda: shown() == expected())
        assert [r[0] for r in shown()] == ["ev-1", "ev-2", "ev-3"]
        assert shown()[0][2:4] == ("corrected", "2") and shown()[0][7] == "alice"
        for cells in window.rows():
            assert 0.0 <= float(cells[-1]) < 30.0  # lag: arrival minus published_at
        window.grab().save(str(tmp_path / "follow.png"))
        shutil.copy(tmp_path / "follow.png", "/tmp/follow_nats.png")

        await publisher.send("ev-2", "confirmed", 30.5, 30.5, "bob")
        await until(lambda: shown() == expected())
        assert [r[0] for r in shown()] == ["ev-1", "ev-2", "ev-3"]  # updated in place, no new row
        assert shown()[1][2:4] == ("confirmed", "2")
        assert follower.received == 5

        cluster.kill(first)
        await publisher.send("ev-3", "corrected", 46.1, 47.0, "alice")
        await publisher.send("ev-4", "provisional", 61.0, 61.0)
        killed_at = time.monotonic()
        await until(lambda: shown() == expected(), timeout=60.0)
        print(f"follow resumed {time.monotonic() - killed_at:.1f} s after its node was killed")
        assert [r[0] for r in shown()] == ["ev-1", "ev-2", "ev-3", "ev-4"]
        assert follower.received == 7 and follower.problem is None
        window.refresh()
        window.grab().save(str(tmp_path / "follow_after_kill.png"))
        shutil.copy(tmp_path / "follow_after_kill.png", "/tmp/follow_nats_after_kill.png")

    async def teardown() -> None:
        await follower.stop()
        await publisher.sink.close()
        await publisher.outbox.close()

    try:
        loop.run_until_complete(scenario())
    finally:
        loop.run_until_complete(teardown())
        cluster.stop()


def test_an_older_revision_never_replaces_a_newer_one():
    follower = StreamFollower(parse_follow_url("nats://127.0.0.1:4222/cup/m1"))
    stamp = datetime.now().astimezone().isoformat(timespec="milliseconds")
    rev = {n: Publication("m1", n, "ev-1", n, "provisional", "foul", 1.0 * n, "", "25", 1.0, 0, None, "clock",
                          None, None, stamp) for n in (1, 2)}
    follower.take(7, rev[2])
    follower.take(3, rev[1])  # replayed late (e.g. a restarted consumer)
    assert follower.received == 2
    assert row_cells(follower.rows["ev-1"])[3] == "2" and follower.rows["ev-1"].stream_seq == 7
