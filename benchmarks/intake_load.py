"""Load benchmark: N loggers x R events/s on loopback through intake -> outbox -> JSONL + WebSocket feed.

The server (intake, outbox with group commit, JSONL sink, WebSocket feed) runs in this process; the
loggers (half TCP JSON lines, half WebSocket) and one feed consumer run in a child process, so the
server's event loop carries only server work. Prints events lost (must be 0), the publish latency
(logger send -> publication received by the feed consumer) median and p99, ack latency, and the
longest stall of the server's event loop.

With ``--console`` the server is the real operator console instead (``matchsync`` run in this process,
offscreen, on the demo match, with its intake and a WebSocket feed sink): every event is stored in its
session, handed to the sync engine, shown in its table and published. Its acknowledgements come from the
asyncio loop of its GUI thread. Besides losses (unacknowledged, missing from the session file, never on
the feed) and latencies, it prints the GUI thread's stalls (a 5 ms timer's lag), the spectrogram's frame
rate and whether the console stayed responsive (RESPONSIVE) over the whole run; exit status 1 if not, or
if an event was lost.

    .venv/bin/python benchmarks/intake_load.py [--seconds 60] [--loggers 20] [--rate 50] [--console]
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import faulthandler
import gc
import json
import math
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from websockets.asyncio.client import connect  # noqa: E402

from core.intake.server import IntakeConfig, IntakeItem, IntakeServer  # noqa: E402
from core.model import EVENT_TYPES  # noqa: E402
from core.publish.message import provisional  # noqa: E402
from core.publish.service import Publishing, parse_sink  # noqa: E402
from core.serve.ports import free_port  # noqa: E402

TOKEN = "bench-token"
PROBE_S = 0.005
STALL_DUMP_S = 1.0
"""With --console, every thread's stack is printed when the GUI thread has not come back for this long."""


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
    first = min(sent.values())
    windows: dict[int, list[float]] = {}
    for i in acked:
        windows.setdefault(int((sent[i] - first) // 10), []).append(acked[i] - sent[i])
    return {"sent": len(sent), "acked": len(acked), "errors": len(errors), "first_error": errors[:1],
            "feed_received": sum(i in received for i in sent),
            "publish_ms": [1000 * statistics.median(publish), 1000 * percentile(publish, 0.99)],
            "ack_ms": [1000 * statistics.median(ack), 1000 * percentile(ack, 0.99), 1000 * max(ack)],
            "ack_p99_per_10s": [1000 * percentile(windows.get(k, []), 0.99) for k in range(max(windows) + 1)],
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
        "--ws-port", str(intake.ws_port), "--feed-port", str(feed.port), "--out", str(workdir / "clients.json"))
    await child.wait()
    cpu = (time.process_time() - cpu0) / (time.monotonic() - wall0)
    result = json.loads((workdir / "clients.json").read_text())
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


def engine_cpu_seconds() -> float:
    """User + system CPU seconds of this process's multiprocessing children (the console's sync engine)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == os.getpid() and b"spawn_main" in (stat.parent / "cmdline").read_bytes():
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


RESPONSIVE = {"ack_p99_ms": 250.0, "longest_stall_ms": 250.0, "min_fps": 25.0}
"""The console is responsive under the load when, over the whole run, 99 % of acknowledgements (answered by
its GUI thread's asyncio loop) come within 250 ms, its GUI thread never stalls more than 250 ms, and the
spectrogram keeps at least 25 frames per second."""


def console(args: argparse.Namespace, workdir: Path) -> int:
    """Run the load against the real console in this process (offscreen, demo match, its intake and a
    WebSocket feed sink; the loggers in a child process); returns the number of events lost, or 1 more
    when the console was not responsive."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QTimer, qInstallMessageHandler
    from PySide6.QtWidgets import QApplication

    from app.launch import build_parser, run_console
    from app.window import ConsoleWindow

    tcp, ws, feed = free_port(), free_port(), free_port()
    session = workdir / "console.sqlite"
    console_args = build_parser().parse_args([
        "--source", "demo", "--intake-token", TOKEN, "--intake-tcp-port", str(tcp), "--intake-ws-port", str(ws),
        "--sink", f"ws:{feed}", "--session", str(session), "--config", str(workdir / "config")])
    app = QApplication.instance() or QApplication([])
    qInstallMessageHandler(lambda _kind, _where, text: None if "propagateSizeHints" in text  # offscreen noise
                           else print(text, file=sys.stderr))
    out_path = workdir / "clients.json"
    stall_dumps = (workdir / "stalls.txt").open("w+")
    run: dict = {"stalls": [], "child": None, "gc": [], "gc_start": 0.0}

    def collecting(phase: str, _info: dict) -> None:
        if phase == "start":
            run["gc_start"] = time.perf_counter()
        elif run["child"] is not None:
            run["gc"].append(time.perf_counter() - run["gc_start"])

    def probe() -> None:
        now = time.monotonic()
        run["stalls"].append((now, now - run["last"] - PROBE_S))
        run["last"] = now

    def started() -> None:
        (window,) = [w for w in app.topLevelWidgets() if isinstance(w, ConsoleWindow)]
        run["window"] = window
        for port in (tcp, ws, feed):  # the endpoints open on the console's loop
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            except OSError:
                QTimer.singleShot(100, started)
                return
        run["child"] = subprocess.Popen(
            [sys.executable, __file__, "--role", "clients", "--seconds", str(args.seconds), "--loggers",
             str(args.loggers), "--rate", str(args.rate), "--tcp-port", str(tcp), "--ws-port", str(ws),
             "--feed-port", str(feed), "--out", str(out_path)], cwd=ROOT)
        run["frames0"], run["cpu0"] = window.timeline.frames_painted, time.process_time()
        run["engine0"] = engine_cpu_seconds()
        run["wall0"] = run["last"] = time.monotonic()
        prober.start()
        waiter.start()

    def finished() -> None:
        if run["child"].poll() is None:
            faulthandler.dump_traceback_later(STALL_DUMP_S, file=stall_dumps)  # re-armed every 100 ms
            return
        faulthandler.cancel_dump_traceback_later()
        waiter.stop()
        prober.stop()
        wall = time.monotonic() - run["wall0"]
        run["fps"] = (run["window"].timeline.frames_painted - run["frames0"]) / wall
        run["cpu"] = (time.process_time() - run["cpu0"]) / wall
        run["engine"] = (engine_cpu_seconds() - run["engine0"]) / wall
        run["window"].close()

    prober, waiter = QTimer(), QTimer()
    prober.setInterval(int(PROBE_S * 1000))
    prober.timeout.connect(probe)
    waiter.setInterval(100)
    waiter.timeout.connect(finished)
    QTimer.singleShot(0, started)
    gc.callbacks.append(collecting)
    run_console(console_args)
    gc.callbacks.remove(collecting)
    if run["child"] is None or run["child"].returncode:
        raise SystemExit("the load's clients failed")
    result = json.loads(out_path.read_text())
    with closing(sqlite3.connect(session)) as db:
        stored = {i for (i,) in db.execute("SELECT id FROM events")}
    ids = set(result.pop("ids"))
    unstored = len(ids - stored)
    unacked = result["sent"] - result["acked"]
    lost = result["sent"] - result["feed_received"]
    stalls = [lag for _, lag in run["stalls"]]
    t0 = run["wall0"]
    print(f"the console under load: loggers {args.loggers} x {args.rate:g} ev/s for {args.seconds:g} s "
          f"({args.loggers // 2} WebSocket, {args.loggers - args.loggers // 2} TCP)")
    print(f"sent {result['sent']}  acked {result['acked']}  error replies {result['errors']} "
          f"{result['first_error'] or ''}")
    print(f"events lost: {unacked} unacknowledged, {unstored} not in the session file, "
          f"{lost} never published on the feed")
    print(f"publish latency (send -> feed consumer): median {result['publish_ms'][0]:.1f} ms, "
          f"p99 {result['publish_ms'][1]:.1f} ms")
    print(f"ack latency (send -> durable ack from the GUI thread's loop): median {result['ack_ms'][0]:.1f} ms, "
          f"p99 {result['ack_ms'][1]:.1f} ms, max {result['ack_ms'][2]:.1f} ms")
    print("  per 10 s of the run, ack p99 ms: " + " ".join(f"{v:.0f}" for v in result["ack_p99_per_10s"]))
    print(f"GUI thread ({PROBE_S * 1000:.0f} ms timer): lag median {1000 * statistics.median(stalls):.1f} ms, "
          f"p99 {1000 * percentile(stalls, 0.99):.1f} ms, longest stall {1000 * max(stalls):.0f} ms, "
          f"{sum(lag > 0.1 for lag in stalls)} stalls over 100 ms; longest garbage-collector pause "
          f"{1000 * max(run['gc'], default=0):.0f} ms")
    print("  per 10 s of the run, longest stall ms: " + " ".join(
        f"{1000 * max((lag for t, lag in run['stalls'] if k <= (t - t0) / 10 < k + 1), default=0):.0f}"
        for k in range(int(math.ceil((run['stalls'][-1][0] - t0) / 10)))))
    print(f"spectrogram {run['fps']:.1f} frames/s; console CPU {100 * run['cpu']:.0f} % of one core "
          f"(all its threads), its sync engine process {100 * run['engine']:.0f} %")
    responsive = (result["ack_ms"][1] <= RESPONSIVE["ack_p99_ms"]
                  and 1000 * max(stalls) <= RESPONSIVE["longest_stall_ms"] and run["fps"] >= RESPONSIVE["min_fps"])
    stall_dumps.seek(0)
    if dumped := stall_dumps.read():
        print(f"the GUI thread stalled over {STALL_DUMP_S:g} s; every thread's stack then:\n{dumped}")
    stall_dumps.close()
    print(f"responsive (ack p99 <= {RESPONSIVE['ack_p99_ms']:.0f} ms, longest GUI stall <= "
          f"{RESPONSIVE['longest_stall_ms']:.0f} ms, >= {RESPONSIVE['min_fps']:.0f} frames/s): "
          f"{'yes' if responsive else 'NO'}")
    return unacked + unstored + lost + (not responsive)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--loggers", type=int, default=20)
    parser.add_argument("--rate", type=float, default=50.0, help="events per second per logger")
    parser.add_argument("--console", action="store_true", help="load the real console instead of a bare intake")
    parser.add_argument("--role", choices=("server", "clients"), default="server", help=argparse.SUPPRESS)
    for port in ("--tcp-port", "--ws-port", "--feed-port"):
        parser.add_argument(port, type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "clients":
        Path(args.out).write_text(json.dumps(asyncio.run(clients(args))))
        return
    with tempfile.TemporaryDirectory(prefix="intake-load-") as workdir:
        failed = console(args, Path(workdir)) if args.console else asyncio.run(server(args, Path(workdir)))
        sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
