"""Match-day benchmark: a schedule of overlapping simulated fixtures served unattended on a fast clock,
publishing into a real three-node NATS JetStream cluster on loopback, one node (the stream leader)
killed mid-day. A live follower per match measures publish-to-consumer latency.

Prints per fixture: how late its session started against kickoff minus lead (real seconds), how long
before kickoff it was live, match length vs when the stop was decided, drain time, events and
publications, what reached the stream (stored, duplicates dropped by the server, lost), and the
follower's latency; then the totals and CPU time.

    .venv/bin/python benchmarks/matchday.py [--fixtures 3] [--minutes 2] [--rate 15] [--gap 30]
"""
from __future__ import annotations

import argparse
import asyncio
import io
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.publish.sink_nats import NatsTarget, connect, follow_match  # noqa: E402
from core.serve.clock import FastClock  # noqa: E402
from core.serve.nats_cluster import NatsCluster  # noqa: E402
from core.serve.schedule import Fixture  # noqa: E402
from core.serve.scheduler import Scheduler  # noqa: E402
from core.serve.session import SessionConfig  # noqa: E402
from core.serve.status import StatusBoard  # noqa: E402


async def follow(cluster: NatsCluster, fixture: str, latencies: list[float], stop: asyncio.Event) -> None:
    """Follow one match live; record seconds from publication to arrival."""
    async def consume() -> None:
        async for pub in follow_match(cluster.servers, "Day", fixture, idle_s=None):
            sent = datetime.fromisoformat(pub.published_at)
            latencies.append((datetime.now(timezone.utc) - sent).total_seconds())
    task = asyncio.create_task(consume())
    await stop.wait()
    await asyncio.sleep(2.0)
    task.cancel()


async def kill_leader(cluster: NatsCluster, stream: str, after_s: float) -> str:
    """kill -9 the stream's leader ``after_s`` real seconds after the stream exists."""
    nc = await connect(cluster.servers)
    leader = None
    while leader is None:
        try:
            leader = (await nc.jetstream().stream_info(stream)).cluster.leader
        except Exception:  # the stream appears with the first publication
            await asyncio.sleep(0.1)
    await nc.close()
    await asyncio.sleep(after_s)
    cluster.kill(next(n for n in cluster.nodes if n.name == leader))
    return leader


async def main(args: argparse.Namespace) -> int:
    folder = Path(tempfile.mkdtemp(prefix="matchday-"))
    cluster = NatsCluster(folder / "nats")
    cluster.start()
    try:
        t0 = datetime.now(timezone.utc).replace(microsecond=0)
        fixtures = [Fixture(f"fx-{i}", t0 + timedelta(seconds=args.lead + 10 + i * args.gap),
                            f"demo:{100 + i}:{args.minutes}", (f"nats:{cluster.addresses}/Day",), "Day")
                    for i in range(args.fixtures)]
        clock = FastClock(t0, args.rate)
        board = StatusBoard(folder / "status.json", out=io.StringIO())
        template = SessionConfig(name="", source="", session_path=folder, speed=args.rate, deadline_s=5.0,
                                 margin_s=2.0, hard_limit_s=args.minutes * 60 * 3)
        scheduler = Scheduler(fixtures, template, folder / "sessions", clock, board, args.lead)
        stream = NatsTarget.parse(f"{cluster.addresses}/Day").stream
        stop = asyncio.Event()
        latencies: dict[str, list[float]] = {f.id: [] for f in fixtures}
        followers = [asyncio.create_task(follow(cluster, f.id, latencies[f.id], stop)) for f in fixtures]
        killer = asyncio.create_task(kill_leader(cluster, stream, args.kill_after))
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        wall0 = time.monotonic()
        reports = await scheduler.run()
        wall = time.monotonic() - wall0
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
        stop.set()
        await asyncio.gather(*followers)
        killed = await killer if killer.done() else (killer.cancel() or "none (day ended first)")

        alive = [n.url for n in cluster.nodes if n.process is not None]
        nc = await connect(alive)
        js = nc.jetstream()
        print(f"{len(fixtures)} fixtures of {args.minutes:g} min at {args.rate:g}x, kickoffs {args.gap:g} s "
              f"apart, lead {args.lead:g} s; stream leader {killed} killed")
        print("fixture  start_late_s  live_before_ko_s  match_s  ran_to_stop_s  drain_s  events  pubs  "
              "in_stream  dup_dropped  lost  latency_med_ms  latency_max_ms  state")
        total_lost = 0
        for fixture, r in zip(fixtures, reports):
            with sqlite3.connect(folder / "sessions" / f"{fixture.id}.sqlite") as db:
                outbox = db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
            subject = NatsTarget.parse(f"{cluster.addresses}/Day").subject(fixture.id)
            info = await js.stream_info(stream, subjects_filter=subject)
            stored = (info.state.subjects or {}).get(subject, 0)
            lost = outbox - stored
            total_lost += max(0, lost)
            real = lambda d: d.total_seconds() / args.rate  # noqa: E731
            lat = latencies[fixture.id]
            dup = sum(s.get("duplicates") or 0 for s in r.sinks)
            print(f"{fixture.id:7}  {real(r.started - (fixture.kickoff - timedelta(seconds=args.lead))):12.2f}  "
                  f"{real(fixture.kickoff - r.live):16.2f}  {args.minutes * 60:7.0f}  "
                  f"{(r.stopping - r.live).total_seconds():13.1f}  {real(r.stopped - r.stopping):7.2f}  "
                  f"{r.events:6}  {r.published:4}  {stored:9}  {dup:11}  {lost:4}  "
                  f"{1000 * statistics.median(lat) if lat else float('nan'):14.0f}  "
                  f"{1000 * max(lat) if lat else float('nan'):14.0f}  {r.state} ({r.reason})")
        await nc.close()
        cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
        print(f"day served in {wall:.1f} s real, {cpu:.1f} s CPU in this process; "
              f"published events lost: {total_lost}")
        return 1 if total_lost or any(r.state != "finished" for r in reports) else 0
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixtures", type=int, default=3)
    parser.add_argument("--minutes", type=float, default=2.0, help="length of each simulated match")
    parser.add_argument("--rate", type=float, default=15.0, help="clock and playback speed")
    parser.add_argument("--gap", type=float, default=30.0, help="clock seconds between kickoffs")
    parser.add_argument("--lead", type=float, default=150.0, help="clock seconds a session starts early")
    parser.add_argument("--kill-after", type=float, default=2.0,
                        help="real seconds after the stream appears to kill its leader")
    sys.exit(asyncio.run(main(parser.parse_args())))
