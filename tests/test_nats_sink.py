"""NATS JetStream sink against a real three-node nats-server cluster on loopback: stream per
competition, subject per match, server-side dedupe by ``id:revision``, a consumer following a match,
and no loss when the stream's leader is killed while publishing."""
from __future__ import annotations

import asyncio
import shutil

import pytest

from core.errors import InputError
from core.publish.message import Draft
from core.publish.service import SinkSpec
from core.publish.sink_nats import NatsSink, NatsSpecError, NatsTarget, connect, follow_match
from core.serve.nats_cluster import NatsCluster
from core.serve.sinks import ServePublishing, parse_any_sink

pytestmark = pytest.mark.skipif(shutil.which("nats-server") is None, reason="nats-server not installed")


@pytest.fixture
def cluster(tmp_path):
    nodes = NatsCluster(tmp_path / "nats")
    nodes.start()
    yield nodes
    nodes.stop()


def test_specs_parse_and_name_their_problems():
    target = NatsTarget.parse("127.0.0.1:4222,127.0.0.1:4223/Premier League/fx 1")
    assert target.servers == ("nats://127.0.0.1:4222", "nats://127.0.0.1:4223")
    assert target.replicas == 2 and target.stream == "MATCHSYNC_Premier_League"
    assert target.subject("ignored") == "matchsync.Premier_League.fx_1"
    assert NatsTarget.parse("h:1/cup?replicas=3").subject("m.2") == "matchsync.cup.m_2"
    assert parse_any_sink("nats:h:1/cup") == SinkSpec("nats", "h:1/cup")
    for bad in ("h:1", "h/cup", "h:x/cup", "h:1/cup?copies=2", "h:1/a/b/c"):
        with pytest.raises(NatsSpecError):
            NatsTarget.parse(bad)
    with pytest.raises(InputError) as err:
        parse_any_sink("nats:nowhere/cup")
    assert err.value.where == "--sink" and "nats:nowhere/cup" in err.value.problem


async def _stream_count(servers, stream: str, subject: str) -> int:
    nc = await connect(servers)
    try:
        info = await nc.jetstream().stream_info(stream, subjects_filter=subject)
        return (info.state.subjects or {}).get(subject, 0)
    finally:
        await nc.close()


async def _stream_leader(servers, stream: str) -> str | None:
    """The node leading the stream (None if no leader shows within 10 s)."""
    nc = await connect(servers)
    try:
        for _ in range(100):
            leader = (await nc.jetstream().stream_info(stream)).cluster.leader
            if leader is not None:
                return leader
            await asyncio.sleep(0.1)
        return None
    finally:
        await nc.close()


async def test_resent_revisions_are_stored_once(cluster, tmp_path):
    target = NatsTarget.parse(f"{cluster.addresses}/cup")
    pubs_db = ServePublishing(tmp_path / "a.sqlite", "m1", [])
    await pubs_db.start()
    pubs = [await pubs_db.publish(Draft(f"ev-{i}", "foul", "provisional", i, i)) for i in range(30)]
    await pubs_db.close()
    sink = NatsSink(target, "m1")
    await sink.deliver(pubs)
    await sink.deliver(pubs[10:])  # a runner re-sending after a failure
    await sink.close()
    assert sink.duplicates == 20
    subject = target.subject("m1")
    assert await _stream_count(cluster.servers, target.stream, subject) == 30
    got = [p async for p in follow_match(cluster.servers[2:], "cup", "m1", idle_s=1.0)]
    assert [(p.id, p.seq) for p in got] == [(p.id, p.seq) for p in pubs]


async def test_killing_the_stream_leader_mid_match_loses_nothing(cluster, tmp_path):
    """Publish 300 revisions through the outbox and a NatsSink runner; kill -9 the node that leads
    the stream a third of the way through; every revision ends up in the stream exactly once."""
    spec = f"nats:{cluster.addresses}/league/match-7"
    publishing = ServePublishing(tmp_path / "s.sqlite", "match-7", [parse_any_sink(spec)],
                                 heartbeat_s=0.5)
    await publishing.start()
    target = NatsTarget.parse(spec[5:])
    killed = None
    for i in range(300):
        status = "provisional" if i % 3 else "confirmed"
        await publishing.publish(Draft(f"ev-{i // 3}", "foul", status, float(i), float(i)))
        if i == 100:
            leader = await _stream_leader(cluster.servers, target.stream)
            killed = next((n for n in cluster.nodes if n.name == leader), None)
            assert killed is not None, f"stream leader {leader!r} is none of the nodes"
            cluster.kill(killed)
        await asyncio.sleep(0.005)
    runner = publishing.runners[0]
    for _ in range(600):
        if runner.health().backlog == 0:
            break
        await asyncio.sleep(0.05)
    health = runner.health()
    await publishing.close()
    assert health.backlog == 0 and health.delivered_seq == 300, health
    alive = [n.url for n in cluster.nodes if n is not killed]
    assert await _stream_count(alive, target.stream, target.subject("")) == 300
    got = [p async for p in follow_match(alive, "league", "match-7", idle_s=1.0)]
    assert [p.seq for p in got] == list(range(1, 301))
    print(f"leader {killed.name} killed; {runner.sink.failures} failed deliveries, "
          f"{runner.sink.duplicates} re-sent revisions dropped by the server")
