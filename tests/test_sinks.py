"""Sinks on real files and loopback sockets: JSONL, WebSocket feed, webhook; outages and health."""
from __future__ import annotations

import asyncio
import contextlib
import json
import socket

import pytest
from websockets.asyncio.client import connect

from core.publish.message import Draft
from core.publish.outbox import Outbox
from core.publish.publisher import Publisher
from core.publish.runner import SinkRunner
from core.publish.sink_jsonl import JsonlSink
from core.publish.sink_webhook import WebhookSink
from core.publish.sink_wsfeed import WsFeedServer

FEED_TOKEN = "feed-token"


def draft(i: int, status: str = "provisional") -> Draft:
    return Draft(id=f"ev-{i % 7}", type="foul", status=status, t=10.0 + i, t_logged=12.0 + i)


@pytest.fixture
async def publisher(tmp_path):
    pub = Publisher(Outbox(tmp_path / "session.sqlite", "m1"), heartbeat_s=0.2)
    await pub.start()
    yield pub
    await pub.close()


async def until(predicate, timeout: float = 10.0) -> None:
    """Wait for a condition the code under test must reach."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def running(runner: SinkRunner):
    task = asyncio.create_task(runner.run())
    try:
        yield runner
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await runner.sink.close()


def jsonl_seqs(path) -> list[int]:
    return [json.loads(line)["seq"] for line in path.read_text().splitlines()]


async def test_jsonl_sink_appends_everything_and_resumes_from_its_cursor(publisher, tmp_path):
    out = tmp_path / "feed.jsonl"
    for i in range(30):
        await publisher.publish(draft(i))
    async with running(SinkRunner(JsonlSink(out), publisher)) as runner:
        await until(lambda: runner.health().backlog == 0 and runner.delivered == 30)
        assert runner.health().state == "ok"
    for i in range(30, 45):
        await publisher.publish(draft(i))
    with out.open("ab") as fh:  # a crash in the middle of a line
        fh.write(b'{"session":"m1","seq":31,"id":"ev-')
    async with running(SinkRunner(JsonlSink(out), publisher)) as runner:
        await until(lambda: runner.delivered == 45)
    assert jsonl_seqs(out) == list(range(1, 46))
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(m["id"], m["revision"]) for m in lines[:8]] == [
        ("ev-0", 1), ("ev-1", 1), ("ev-2", 1), ("ev-3", 1), ("ev-4", 1), ("ev-5", 1), ("ev-6", 1), ("ev-0", 2)]


async def feed_client(port: int, from_seq: int, want: int, into: list[dict], beats: list[dict]) -> None:
    """Read the feed until ``want`` publications arrived after ``from_seq``."""
    async with connect(f"ws://127.0.0.1:{port}") as ws:
        await ws.send(json.dumps({"token": FEED_TOKEN, "from_seq": from_seq}))
        welcome = json.loads(await ws.recv())
        assert welcome["welcome"] == "m1"
        while sum(1 for m in into if m["seq"] > from_seq) < want:
            message = json.loads(await ws.recv())
            (beats if message.get("heartbeat") else into).append(message)


async def test_ws_feed_resumes_after_the_last_seen_sequence_then_goes_live(publisher):
    feed = WsFeedServer(publisher, (FEED_TOKEN,))
    await feed.start()
    try:
        assert all(host == "127.0.0.1" for host, _ in feed.addresses())
        for i in range(20):
            await publisher.publish(draft(i))
        got, beats = [], []
        await asyncio.wait_for(feed_client(feed.port, 0, 12, got, beats), 10)
        assert [m["seq"] for m in got] == list(range(1, 13))
        resumed: list[dict] = []
        client = asyncio.create_task(feed_client(feed.port, 12, 18, resumed, beats))
        await asyncio.sleep(0.1)
        for i in range(20, 30):  # live, while the client is connected
            await publisher.publish(draft(i))
        await asyncio.wait_for(client, 10)
        assert [m["seq"] for m in resumed] == list(range(13, 31))
        assert feed.health().last_seq == 30
        async with connect(f"ws://127.0.0.1:{feed.port}") as ws:  # caught up: heartbeats only
            await ws.send(json.dumps({"token": FEED_TOKEN, "from_seq": 30}))
            assert json.loads(await ws.recv())["last_seq"] == 30
            beat = json.loads(await asyncio.wait_for(ws.recv(), 2))
            assert beat["heartbeat"] is True and beat["last_seq"] == 30
    finally:
        await feed.close()


async def test_ws_feed_refuses_a_wrong_token(publisher):
    feed = WsFeedServer(publisher, (FEED_TOKEN,))
    await feed.start()
    try:
        await publisher.publish(draft(1))
        async with connect(f"ws://127.0.0.1:{feed.port}") as ws:
            await ws.send(json.dumps({"token": "guess", "from_seq": 0}))
            assert json.loads(await ws.recv()) == {"error": "bad token", "field": "token"}
            await ws.wait_closed()
            assert ws.close_code == 1008
    finally:
        await feed.close()


class WebhookReceiver:
    """A minimal HTTP/1.1 server on loopback that records POSTs; it can answer 503 or be down."""

    def __init__(self, port: int = 0) -> None:
        self.port = port
        self.posts: list[tuple[str, dict]] = []
        self.refusals: list[float] = []
        self.status = 200
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self.server.close()
        for writer in self.writers:
            writer.close()
        await self.server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.add(writer)
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode().split("\r\n")
                headers = {k.lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:] if l)}
                body = await reader.readexactly(int(headers.get("content-length", 0)))
                if self.status == 200:
                    self.posts.append((headers.get("idempotency-key"), json.loads(body)))
                else:
                    self.refusals.append(asyncio.get_running_loop().time())
                writer.write(f"HTTP/1.1 {self.status} X\r\nContent-Length: 0\r\n\r\n".encode())
                await writer.drain()
        self.writers.discard(writer)
        writer.close()


async def test_webhook_posts_with_idempotency_key_and_survives_errors_and_an_outage(publisher):
    receiver = WebhookReceiver()
    await receiver.start()
    sink = WebhookSink(f"http://127.0.0.1:{receiver.port}/events", timeout_s=1.0)
    runner = SinkRunner(sink, publisher, backoff_s=0.1, backoff_max_s=0.8)
    async with running(runner):
        for i in range(10):
            await publisher.publish(draft(i))
        await until(lambda: runner.delivered == 10)
        receiver.status = 503  # the receiver refuses for a while
        for i in range(10, 15):
            await publisher.publish(draft(i))
        await until(lambda: runner.failures >= 5)
        assert runner.health().state == "retrying" and "503" in runner.health().last_error
        gaps = [b - a for a, b in zip(receiver.refusals, receiver.refusals[1:5])]
        assert all(later > 1.4 * earlier for earlier, later in zip(gaps, gaps[1:])), gaps  # backoff
        receiver.status = 200
        await until(lambda: runner.delivered == 15)
        await receiver.stop()  # then it is gone altogether for 2 s
        for i in range(15, 40):
            await publisher.publish(draft(i))
        await asyncio.sleep(2.0)
        health = runner.health()
        assert health.state == "retrying" and health.backlog == 25 and health.delivered_seq == 15
        await receiver.start()
        await until(lambda: runner.delivered == 40)
        assert runner.health().backlog == 0 and runner.health().state == "ok"
    await receiver.stop()
    keys = [key for key, _ in receiver.posts]
    assert keys == [f"{m['id']}:{m['revision']}" for _, m in receiver.posts]
    firsts = list(dict.fromkeys(m["seq"] for _, m in receiver.posts))
    assert firsts == list(range(1, 41))
