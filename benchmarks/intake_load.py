"""Load benchmark: N loggers x R events/s on loopback through intake -> outbox -> JSONL + WebSocket feed.

The server (intake, outbox with group commit, JSONL sink, WebSocket feed) runs in this process; the
loggers (half TCP JSON lines, half WebSocket) and one feed consumer run in a child process, so the
server's event loop carries only server work. Prints events lost (must be 0), the publish latency
(logger send -> publication received by the feed consumer) median and p99, ack latency, and the
longest stall of the server's event loop.

With ``--console`` the server is the real operator console instead (a separate process, offscreen, on the
demo match, its intake and a WebSocket feed sink): every event is stored in its session, handed to the
sync engine, shown in its table and published. Its acknowledgements come from the same asyncio loop that
paints the window, so the ack latency is the console's responsiveness under the load.

    .venv/bin/python benchmarks/intake_load.py [--seconds 60] [--loggers 20] [--rate 50] [--console]
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from websockets.asyncio.client import connect  # noqa: E402

from core.intake.server import IntakeConfig, IntakeItem, IntakeServer  # noqa: E402
from core.model import EVENT_TYPES  # noqa: E402
from core.publish.message import provisional  # noqa: E402
from core.publish.service import Publishing, parse_sink  # noqa: E402

TOKEN = "bench-token"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


# ---- the loggers and the feed consumer (child process) ----

async def run_logger(name: str, port: int, tcp: bool, rate: float, seconds: float,
                     sent: dict[str, float], acked: dict[str, float], errors: list[dict]) -> None:
    rng = random.Random(name)
    replies: asyncio.Queue = asyncio.Queue()
    if tcp:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)

        async def send(text: str) -> None:
            writer.write(text.encode() + b"\n")
            await writer.drain()

        async def pump() -> None:
            while line := await reader.readline():
                await replies.put(json.loads(line))
    else:
        ws = await connect(f"ws://127.0.0.1:{port}", compression=None)
        send = ws.send

        async def pump() -> None:
            with contextlib.suppress(Exception):
                async for message in ws:
                    await replies.put(json.loads(message))

    async def collect() -> None:
        while True:
            reply = await replies.get()
            if "ack" in reply:
                acked[reply["ack"]] = time.time()
            elif "welcome" not in reply:
                errors.append(reply)

    tasks = [asyncio.create_task(pump()), asyncio.create_task(collect())]
    await send(json.dumps({"hello": name, "token": TOKEN}))
    start = time.monotonic() + rng.random() / rate
    for i in range(int(seconds * rate)):
        await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
        event_id = f"{name}-{i}"
        sent[event_id] = time.time()
        await send(json.dumps({"id": event_id, "type": rng.choice(EVENT_TYPES),
                               "t": round(time.monotonic() - start, 3), "logger": name}))
    await asyncio.sleep(2.0)
    for task in tasks:
        task.cancel()
    if tcp:
        writer.close()
    else:
        await ws.close()


async def run_feed(port: int, received: dict[str, float], stop: asyncio.Event) -> None:
    async with connect(f"ws://127.0.0.1:{port}", compression=None) as ws:
        await ws.send(json.dumps({"token": TOKEN, "from_seq": 0}))
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                message = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
                if "seq" in message:
                    received.setdefault(message["id"], time.time())


async def clients(args: argparse.Namespace) -> dict:
    sent: dict[str, float] = {}
    acked: dict[str, float] = {}
    received: dict[str, float] = {}
    errors: list[dict] = []
    stop = asyncio.Event()
    feed = asyncio.create_task(run_feed(args.feed_port, received, stop))
    await asyncio.gather(*(run_logger(f"L{k:02d}", args.tcp_port if k % 2 else args.ws_port, bool(k % 2),
                                      args.rate, args.seconds, sent, acked, errors)
                           for k in range(args.loggers)))
    deadline = time.monotonic() + 15
    while len(received) < len(sent) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    stop.set()
    await feed
    publish = [received[i] - sent[i] for i in sent if i in received]
    ack = [acked[i] - sent[i] for i in sent if i in acked]
    return {"sent": len(sent), "acked": len(acked), "errors": len(errors), "first_error": errors[:1],
            "feed_received": sum(i in received for i in sent),
            "publish_ms": [1000 * statistics.median(publish), 1000 * percentile(publish, 0.99)],
            "ack_ms": [1000 * statistics.median(ack), 1000 * percentile(ack, 0.99)],
            "ids": sorted(sent)}


# ---- the server (this process) ----

async def loop_stall_probe(lags: list[float]) -> None:
    """How late a 10 ms timer fires, again and again: the loop's responsiveness."""
    while True:
        before = time.monotonic()
        await asyncio.sleep(0.01)
        lags.append(time.monotonic() - before - 0.01)


async def server(args: argparse.Namespace, workdir: Path) -> int:
    """Run the load against a server in this process; returns the number of events lost."""
    jsonl_path = workdir / "feed.jsonl"
    publishing = Publishing(workdir / "session.sqlite", "bench",
                            [parse_sink(f"jsonl:{jsonl_path}"), parse_sink("ws:0")], feed_tokens=(TOKEN,))
    await publishing.start()
    (jsonl,), (feed,) = publishing.runners, publishing.feeds

    async def on_event(item: IntakeItem) -> None:
        # The benchmark's clock map is the identity; a provisional is never moved earlier.
        await publishing.publish(provisional(item.event, item.event.t, item.logger))

    intake = IntakeServer(IntakeConfig(tokens=(TOKEN,)), on_event)
    await intake.start()
    lags: list[float] = []
    probe = asyncio.create_task(loop_stall_probe(lags))
    cpu0 = time.process_time()
    wall0 = time.monotonic()
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--role", "clients", "--seconds", str(args.seconds),
        "--loggers", str(args.loggers), "--rate", str(args.rate), "--tcp-port", str(intake.tcp_port),
        "--ws-port", str(intake.ws_port), "--feed-port", str(feed.port), stdout=asyncio.subprocess.PIPE)
    out, _ = await child.communicate()
    cpu = (time.process_time() - cpu0) / (time.monotonic() - wall0)
    result = json.loads(out)
    ids = set(result.pop("ids"))
    deadline = time.monotonic() + 15
    while jsonl.health().backlog and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    in_jsonl = {json.loads(line)["id"] for line in jsonl_path.read_text().splitlines()}
    seqs = [json.loads(line)["seq"] for line in jsonl_path.read_text().splitlines()]
    probe.cancel()
    await intake.close()
    await publishing.close()
    lost_jsonl = len(ids - in_jsonl)
    lost_feed = result["sent"] - result["feed_received"]
    print(f"loggers {args.loggers} x {args.rate:g} ev/s for {args.seconds:g} s "
          f"({args.loggers // 2} WebSocket, {args.loggers - args.loggers // 2} TCP)")
    print(f"sent {result['sent']}  acked {result['acked']}  error replies {result['errors']} "
          f"{result['first_error'] or ''}")
    print(f"events lost: {lost_jsonl} in JSONL, {lost_feed} on the WebSocket feed  "
          f"(JSONL seq gap-free: {seqs == list(range(1, len(seqs) + 1))})")
    print(f"publish latency (send -> feed consumer): median {result['publish_ms'][0]:.1f} ms, "
          f"p99 {result['publish_ms'][1]:.1f} ms")
    print(f"ack latency (send -> durable ack): median {result['ack_ms'][0]:.1f} ms, "
          f"p99 {result['ack_ms'][1]:.1f} ms")
    print(f"server event loop: timer lag median {1000 * statistics.median(lags):.1f} ms, "
          f"p99 {1000 * percentile(lags, 0.99):.1f} ms, longest {1000 * max(lags):.1f} ms, "
          f"{sum(lag > 0.05 for lag in lags)} stalls over 50 ms; CPU {100 * cpu:.0f} % of one core")
    return lost_jsonl + lost_feed


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def console(args: argparse.Namespace, workdir: Path) -> int:
    """Run the load against the real console; returns the number of events lost."""
    tcp, ws, feed = free_port(), free_port(), free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.main", "--source", "demo", "--intake-token", TOKEN,
         "--intake-tcp-port", str(tcp), "--intake-ws-port", str(ws), "--sink", f"ws:{feed}",
         "--session", str(workdir / "console.sqlite"), "--config", str(workdir / "config"),
         "--quit-after", str(args.seconds + 60)],
        cwd=ROOT, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", feed), timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the console did not start: {proc.stderr.read()[-500:]}") from None
                await asyncio.sleep(0.2)
        args.tcp_port, args.ws_port, args.feed_port = tcp, ws, feed
        cpu0 = _cpu_seconds(proc.pid)
        wall0 = time.monotonic()
        result = await clients(args)
        cpu = (_cpu_seconds(proc.pid) - cpu0) / (time.monotonic() - wall0)
    finally:
        proc.terminate()
        proc.wait(30)
    lost = result["sent"] - result["feed_received"]
    print(f"the console under load: loggers {args.loggers} x {args.rate:g} ev/s for {args.seconds:g} s")
    print(f"sent {result['sent']}  acked {result['acked']}  error replies {result['errors']} "
          f"{result['first_error'] or ''}")
    print(f"events lost: {result['sent'] - result['acked']} unacknowledged, {lost} never published on the feed")
    print(f"publish latency (send -> feed consumer): median {result['publish_ms'][0]:.1f} ms, "
          f"p99 {result['publish_ms'][1]:.1f} ms")
    print(f"console responsiveness (send -> ack from its GUI-thread loop): median {result['ack_ms'][0]:.1f} ms, "
          f"p99 {result['ack_ms'][1]:.1f} ms; console CPU {100 * cpu:.0f} % of one core")
    return lost


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--loggers", type=int, default=20)
    parser.add_argument("--rate", type=float, default=50.0, help="events per second per logger")
    parser.add_argument("--console", action="store_true", help="load the real console instead of a bare intake")
    parser.add_argument("--role", choices=("server", "clients"), default="server", help=argparse.SUPPRESS)
    for port in ("--tcp-port", "--ws-port", "--feed-port"):
        parser.add_argument(port, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "clients":
        print(json.dumps(asyncio.run(clients(args))))
    else:
        with tempfile.TemporaryDirectory(prefix="intake-load-") as workdir:
            run = console if args.console else server
            sys.exit(1 if asyncio.run(run(args, Path(workdir))) else 0)


if __name__ == "__main__":
    main()
