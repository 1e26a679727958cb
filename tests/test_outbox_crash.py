"""kill -9 of a publisher process in the middle of appends, several times, then a restart: every
revision reaches the JSONL and WebSocket sinks at least once and the sequence has no gaps."""
from __future__ import annotations

import asyncio
import contextlib
import json
import random
import sqlite3
import sys
from pathlib import Path

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from core.serve.ports import free_port

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "crash-token"

PUBLISHER_PROGRAM = r"""
import asyncio, sys
from core.publish.message import Draft
from core.publish.outbox import Outbox
from core.publish.publisher import Publisher
from core.publish.runner import SinkRunner
from core.publish.sink_jsonl import JsonlSink
from core.publish.sink_wsfeed import WsFeedServer

async def main(db, jsonl, port, first, count):
    publisher = Publisher(Outbox(db, "crash", fps="29.97"), heartbeat_s=1.0)
    await publisher.start()
    feed = WsFeedServer(publisher, (sys.argv[6],), port=port)
    await feed.start()
    runner = asyncio.create_task(SinkRunner(JsonlSink(jsonl), publisher).run())
    print("ready", flush=True)
    for i in range(first, first + count):
        status = "provisional" if i % 3 == 0 else "corrected"
        pub = await publisher.publish(Draft(id=f"ev-{i % 40}", type="foul", status=status,
                                            t=float(i), t_logged=i + 1.5, operator="op"))
        print(pub.id, pub.revision, pub.seq, flush=True)
        await asyncio.sleep(0.001)
    print("done", flush=True)
    await asyncio.sleep(3600)

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])))
"""


async def start_publisher(tmp_path: Path, port: int, first: int, count: int):
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", PUBLISHER_PROGRAM, str(tmp_path / "s.sqlite"), str(tmp_path / "out.jsonl"),
        str(port), str(first), str(count), TOKEN, cwd=ROOT, stdout=asyncio.subprocess.PIPE)
    assert (await asyncio.wait_for(proc.stdout.readline(), 20)).strip() == b"ready"
    return proc


async def follow(port: int, got: list[dict], until_seq: int | None = None) -> None:
    """A feed consumer: resume after the last seq it holds, read until the server goes away (or
    until ``until_seq``)."""
    last = max((m["seq"] for m in got), default=0)
    with contextlib.suppress(ConnectionClosed, OSError):
        async with connect(f"ws://127.0.0.1:{port}") as ws:
            await ws.send(json.dumps({"token": TOKEN, "from_seq": last}))
            await ws.recv()
            while until_seq is None or last < until_seq:
                message = json.loads(await ws.recv())
                if "seq" in message:
                    got.append(message)
                    last = message["seq"]


def first_occurrences(messages: list[dict]) -> list[tuple[str, int, int]]:
    seen, out = set(), []
    for m in messages:
        if (m["id"], m["revision"]) not in seen:
            seen.add((m["id"], m["revision"]))
            out.append((m["id"], m["revision"], m["seq"]))
    return out


async def test_kill9_during_appends_then_restart_loses_nothing(tmp_path):
    port, rng = free_port(), random.Random(99)
    acked: set[tuple[str, int]] = set()
    ws_got: list[dict] = []
    for round_ in range(3):
        proc = await start_publisher(tmp_path, port, 1000 * round_, 300)
        consumer = asyncio.create_task(follow(port, ws_got))
        for _ in range(rng.randrange(30, 150)):
            name, revision, _ = (await asyncio.wait_for(proc.stdout.readline(), 20)).split()
            acked.add((name.decode(), int(revision)))
        proc.kill()  # SIGKILL, mid-append
        await proc.wait()
        await asyncio.wait_for(consumer, 10)

    proc = await start_publisher(tmp_path, port, 5000, 20)
    while (await asyncio.wait_for(proc.stdout.readline(), 20)).strip() != b"done":
        pass
    with sqlite3.connect(tmp_path / "s.sqlite") as db:
        stored = db.execute("SELECT seq, id, revision FROM outbox ORDER BY seq").fetchall()
    last = stored[-1][0]
    await asyncio.wait_for(follow(port, ws_got, until_seq=last), 20)
    jsonl = tmp_path / "out.jsonl"
    for _ in range(200):
        lines = [json.loads(line) for line in jsonl.read_text().splitlines()]
        if lines and lines[-1]["seq"] == last:
            break
        await asyncio.sleep(0.05)
    proc.kill()
    await proc.wait()

    assert [seq for seq, _, _ in stored] == list(range(1, last + 1))  # no gaps
    in_outbox = {(name, revision) for _, name, revision in stored}
    assert acked <= in_outbox and len(acked) >= 90
    per_id: dict[str, list[int]] = {}
    for _, name, revision in stored:
        per_id.setdefault(name, []).append(revision)
    assert all(revs == list(range(1, len(revs) + 1)) for revs in per_id.values())
    expected = [(name, revision, seq) for seq, name, revision in stored]
    assert first_occurrences(lines) == expected  # every revision, in order, after dedupe
    assert first_occurrences(ws_got) == expected
