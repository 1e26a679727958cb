"""Fault benchmark at full size: kill -9 of the publisher at random moments during N revisions, and
sinks (webhook receiver, MQTT broker) down for a long outage; every revision must reach every sink.

Sinks: JSONL file, WebSocket feed (a consumer that resumes from its last seq), HTTP webhook (a
receiver in this process) and MQTT (a real mosquitto, when installed). Prints, per sink, revisions
received, duplicates, and whether the deduplicated order equals the outbox sequence.

    .venv/bin/python benchmarks/publish_faults.py [--revisions 200] [--kills 8] [--outage 60]
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import os
import random
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import paho.mqtt.client as mqtt  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402
from websockets.exceptions import ConnectionClosed  # noqa: E402

from core.publish.message import STATUSES, Draft  # noqa: E402
from core.publish.service import Publishing, parse_sink  # noqa: E402
from core.serve.ports import free_port  # noqa: E402

TOKEN = "faults-token"
MOSQUITTO = "/usr/sbin/mosquitto"
IDS = 50


# ---- the publisher process ----

async def publisher(args: argparse.Namespace) -> None:
    """Append revisions until the outbox holds ``args.revisions`` of them, then keep serving."""
    service = Publishing(Path(args.workdir) / "session.sqlite", "faults", [parse_sink(s) for s in args.sink],
                         feed_tokens=(TOKEN,), heartbeat_s=1.0)
    await service.start()
    print("ready", flush=True)
    for i in range(service.publisher.last_seq, args.revisions):
        status = "provisional" if i < IDS else random.Random(i).choice(STATUSES[1:])
        await service.publish(Draft(id=f"ev-{i % IDS}", type="foul", status=status, t=10.0 + i,
                                    t_logged=11.0 + i, operator=None if i < IDS else "op"))
        await asyncio.sleep(args.pace)
    print("done", flush=True)
    await asyncio.sleep(3600)


# ---- the consumers (this process) ----

class WebhookReceiver:
    """HTTP/1.1 POST receiver on loopback; records each body once it answered 200."""

    def __init__(self, port: int) -> None:
        self.port, self.got, self.server, self.writers = port, [], None, set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def stop(self) -> None:
        self.server.close()
        for writer in self.writers:
            writer.close()
        await self.server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.add(writer)
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode().lower()
                length = int(head.split("content-length:")[1].split("\r\n")[0])
                self.got.append(json.loads(await reader.readexactly(length)))
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        self.writers.discard(writer)


class Broker:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.conf = workdir / "mosquitto.conf"
        self.conf.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
                             f"persistence_location {workdir}/\nuser {getpass.getuser()}\n")
        self.proc = None

    def start(self) -> None:
        self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)], stderr=subprocess.DEVNULL)
        for _ in range(200):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.2):
                return
            time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


class MqttConsumer:
    def __init__(self, port: int) -> None:
        self.got, self.lock = [], threading.Lock()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="faults-consumer",
                                  clean_session=False)
        self.client.on_connect = lambda c, *_: c.subscribe("faults/events", qos=1)
        self.client.on_message = lambda c, u, m: self._add(json.loads(m.payload))
        self.client.reconnect_delay_set(0.2, 1)
        self.client.connect("127.0.0.1", port, 10)
        self.client.loop_start()

    def _add(self, message: dict) -> None:
        with self.lock:
            self.got.append(message)


async def follow_feed(port: int, got: list[dict], stop: asyncio.Event) -> None:
    """A feed consumer that reconnects and resumes after the last seq it holds."""
    while not stop.is_set():
        with contextlib.suppress(ConnectionClosed, OSError, TimeoutError):
            async with connect(f"ws://127.0.0.1:{port}") as ws:
                await ws.send(json.dumps({"token": TOKEN, "from_seq": max((m["seq"] for m in got), default=0)}))
                while not stop.is_set():
                    with contextlib.suppress(TimeoutError):
                        message = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
                        if "seq" in message:
                            got.append(message)
        await asyncio.sleep(0.1)


def report(name: str, got: list[dict], stored: list[tuple[int, str, int]]) -> bool:
    firsts, seen = [], set()
    for m in got:
        if (m["id"], m["revision"]) not in seen:
            seen.add((m["id"], m["revision"]))
            firsts.append((m["seq"], m["id"], m["revision"]))
    ok = firsts == stored
    print(f"  {name:8s} received {len(got):4d}, distinct revisions {len(firsts):4d} of {len(stored)}, "
          f"duplicates {len(got) - len(firsts):3d}, complete and in order: {ok}")
    return ok


async def run(args: argparse.Namespace, workdir: Path) -> bool:
    rng = random.Random(args.seed)
    broker = Broker(workdir) if os.path.exists(MOSQUITTO) else None
    if broker:
        broker.start()
    hook = WebhookReceiver(free_port())
    await hook.start()
    feed_port = free_port()
    sinks = [f"jsonl:{workdir / 'out.jsonl'}", f"ws:{feed_port}", f"webhook:http://127.0.0.1:{hook.port}/"]
    if broker:
        sinks.append(f"mqtt:127.0.0.1:{broker.port}/faults")
    mq = MqttConsumer(broker.port) if broker else None
    feed_got: list[dict] = []
    stop = asyncio.Event()
    follower = asyncio.create_task(follow_feed(feed_port, feed_got, stop))
    command = [sys.executable, __file__, "--role", "publisher", "--workdir", str(workdir),
               "--revisions", str(args.revisions), "--pace", str(args.pace)]
    command += [x for s in sinks for x in ("--sink", s)]

    async def start_publisher():
        proc = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
        assert (await proc.stdout.readline()).strip() == b"ready"
        return proc

    for k in range(args.kills):
        proc = await start_publisher()
        await asyncio.sleep(rng.uniform(0.05, args.revisions * args.pace / args.kills))
        proc.kill()
        await proc.wait()
    print(f"killed the publisher with SIGKILL {args.kills} times during {args.revisions} revisions")

    proc = await start_publisher()
    if args.outage:
        await asyncio.sleep(0.5)
        await hook.stop()
        if broker:
            broker.stop()
        print(f"webhook receiver{' and MQTT broker' if broker else ''} down for {args.outage:g} s")
        await asyncio.sleep(args.outage)
        await hook.start()
        if broker:
            broker.start()
    back = time.monotonic()
    while (await proc.stdout.readline()).strip() != b"done":
        pass
    with sqlite3.connect(workdir / "session.sqlite") as db:
        stored = db.execute("SELECT seq, id, revision FROM outbox ORDER BY seq").fetchall()
    print(f"outbox: {len(stored)} revisions, sequence gap-free: "
          f"{[s for s, _, _ in stored] == list(range(1, len(stored) + 1))}")
    consumers = {"jsonl": lambda: [json.loads(l) for l in (workdir / "out.jsonl").read_text().splitlines()],
                 "websocket": lambda: list(feed_got), "webhook": lambda: list(hook.got)}
    if mq:
        consumers["mqtt"] = lambda: list(mq.got)
    while time.monotonic() - back < 90:
        if all({(m["id"], m["revision"]) for m in get()} >= {(i, r) for _, i, r in stored}
               for get in consumers.values()):
            break
        await asyncio.sleep(0.1)
    print(f"all sinks caught up {time.monotonic() - back:.1f} s after "
          f"{'the sinks came back' if args.outage else 'the restart'}")
    ok = all([report(name, get(), stored) for name, get in consumers.items()])
    stop.set()
    await follower
    proc.kill()
    await proc.wait()
    await hook.stop()
    if mq:
        mq.client.loop_stop()
    if broker:
        broker.stop()
    return ok and [s for s, _, _ in stored] == list(range(1, len(stored) + 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--revisions", type=int, default=200)
    parser.add_argument("--kills", type=int, default=8)
    parser.add_argument("--outage", type=float, default=60.0, help="seconds the sinks are down")
    parser.add_argument("--pace", type=float, default=0.02, help="seconds between appends")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--role", choices=("driver", "publisher"), default="driver", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument("--sink", action="append", default=[], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "publisher":
        asyncio.run(publisher(args))
        return
    with tempfile.TemporaryDirectory(prefix="publish-faults-") as workdir:
        sys.exit(0 if asyncio.run(run(args, Path(workdir))) else 1)


if __name__ == "__main__":
    main()
