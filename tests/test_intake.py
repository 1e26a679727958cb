"""Intake endpoints on real loopback sockets: token, schema, limits, revisions, several loggers."""
from __future__ import annotations

import asyncio
import json
import socket

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from core.intake.server import IntakeConfig, IntakeItem, IntakeServer

TOKEN = "s3cret-token"


class Collector:
    """The intake callback of the tests: keeps every item in arrival order."""

    def __init__(self) -> None:
        self.items: list[IntakeItem] = []

    async def __call__(self, item: IntakeItem) -> None:
        self.items.append(item)


@pytest.fixture
async def intake():
    got = Collector()
    server = IntakeServer(IntakeConfig(tokens=(TOKEN,)), got)
    await server.start()
    yield server, got
    await server.close()


class TcpLogger:
    """A logger speaking JSON lines over TCP."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> "TcpLogger":
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def ask(self, raw: bytes | str | dict) -> dict | None:
        """Send one line, return the reply (None when the server closed the connection)."""
        if isinstance(raw, dict):
            raw = json.dumps(raw)
        if isinstance(raw, str):
            raw = raw.encode()
        self.writer.write(raw + b"\n")
        await self.writer.drain()
        line = await asyncio.wait_for(self.reader.readline(), 5)
        return json.loads(line) if line else None

    async def closed(self) -> bool:
        return await asyncio.wait_for(self.reader.read(), 5) == b""

    def close(self) -> None:
        self.writer.close()


def event(i: int, **changes) -> dict:
    return {"id": f"ev-{i:04d}", "type": "foul", "t": 10.0 + i, **changes}


async def test_tcp_refuses_missing_and_wrong_token(intake):
    server, got = intake
    nobody = await TcpLogger.open(server.tcp_port)
    reply = await nobody.ask(event(1))
    assert reply["field"] == "hello" and "hello" in reply["error"]
    assert await nobody.closed()
    for hello, field in (({"hello": "ann"}, "token"), ({"hello": "ann", "token": "wrong"}, "token")):
        client = await TcpLogger.open(server.tcp_port)
        reply = await client.ask(hello)
        assert reply["field"] == field and "token" in reply["error"]
        assert await client.closed()
    assert got.items == []


async def test_ws_refuses_wrong_header_and_wrong_hello(intake):
    server, got = intake
    url = f"ws://127.0.0.1:{server.ws_port}"
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, additional_headers={"Authorization": "Bearer nope"}):
            pass
    assert refused.value.response.status_code == 401
    async with connect(url) as ws:
        await ws.send(json.dumps({"hello": "ann", "token": "nope"}))
        assert json.loads(await ws.recv()) == {"error": "bad token", "field": "token"}
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
    async with connect(url, additional_headers={"Authorization": f"Bearer {TOKEN}",
                                                "X-Logger-Name": "bob"}) as ws:
        await ws.send(json.dumps(event(1)))
        assert json.loads(await ws.recv()) == {"ack": "ev-0001", "revision": 1}
    assert [(i.logger, i.event.id) for i in got.items] == [("bob", "ev-0001")]


BAD_MESSAGES = [
    (b'{"id": "x", "type": "foul", "t": 1', None, "malformed JSON"),
    (b"[1, 2, 3]", None, "expected a JSON object"),
    (json.dumps(event(900, note="x" * 5000)).encode(), None, "too large"),
    (b'{"id": "\xff\xfe", "type": "foul", "t": 1}', None, "not UTF-8"),
    (json.dumps(event(901, t="12.5")).encode(), "t", "finite number"),
    (json.dumps(event(902, t=True)).encode(), "t", "finite number"),
    (b'{"id": "ev-0903", "type": "foul", "t": NaN}', "t", "finite number"),
    (json.dumps(event(904, type="goalx")).encode(), "type", "unknown event type"),
    (json.dumps({"id": 905, "type": "foul", "t": 1.0}).encode(), "id", "must be a string"),
    (json.dumps({"type": "foul", "t": 1.0}).encode(), "id", "missing field id"),
    (json.dumps(event(906, colour="red")).encode(), "colour", "unknown field"),
    (json.dumps(event(907, wall="yesterday")).encode(), "wall", "ISO 8601"),
    (json.dumps(event(908, team=7)).encode(), "team", "must be a string"),
]


async def test_tcp_bad_messages_get_errors_and_valid_ones_between_pass(intake):
    server, got = intake
    client = await TcpLogger.open(server.tcp_port)
    assert await client.ask({"hello": "ann", "token": TOKEN}) == {"welcome": "ann"}
    assert server.loggers == {"ann": 1}
    sent = []
    for i, (raw, field, words) in enumerate(BAD_MESSAGES):
        ok = event(i, team="home", wall="2026-05-01T19:45:00+00:00")
        assert await client.ask(ok) == {"ack": ok["id"], "revision": 1}
        sent.append(ok["id"])
        reply = await client.ask(raw)
        assert words in reply["error"], (raw[:60], reply)
        assert reply.get("field") == field
    assert await client.ask(event(99)) == {"ack": "ev-0099", "revision": 1}
    sent.append("ev-0099")
    assert [i.event.id for i in got.items] == sent
    assert {i.logger for i in got.items} == {"ann"}
    assert got.items[0].event.extra == {"team": "home", "wall": "2026-05-01T19:45:00+00:00"}
    client.close()


async def test_ws_bad_messages_get_errors_and_valid_ones_between_pass(intake):
    server, got = intake
    async with connect(f"ws://127.0.0.1:{server.ws_port}") as ws:
        await ws.send(json.dumps({"hello": "cat", "token": TOKEN}))
        assert json.loads(await ws.recv()) == {"welcome": "cat"}
        sent = []
        for i, (raw, field, words) in enumerate(BAD_MESSAGES):
            await ws.send(json.dumps(event(i)))
            assert json.loads(await ws.recv())["ack"] == f"ev-{i:04d}"
            sent.append(f"ev-{i:04d}")
            await ws.send(raw)  # bytes go as a binary frame, the only way to carry non-UTF-8
            reply = json.loads(await ws.recv())
            assert words in reply["error"] and reply.get("field") == field
        assert [i.event.id for i in got.items] == sent


async def test_tcp_line_far_beyond_the_limit_is_skipped_whole(intake):
    server, got = intake
    client = await TcpLogger.open(server.tcp_port)
    await client.ask({"hello": "dan", "token": TOKEN})
    reply = await client.ask(b'{"id": "' + b"y" * 200_000 + b'", "type": "foul", "t": 1}')
    assert "too large" in reply["error"]
    assert (await client.ask(event(5)))["ack"] == "ev-0005"
    assert [i.event.id for i in got.items] == ["ev-0005"]


async def test_resend_is_acknowledged_once_and_a_change_is_a_revision(intake):
    server, got = intake
    client = await TcpLogger.open(server.tcp_port)
    await client.ask({"hello": "eve", "token": TOKEN})
    assert await client.ask(event(1)) == {"ack": "ev-0001", "revision": 1}
    assert await client.ask(event(1)) == {"ack": "ev-0001", "revision": 1, "resend": True}
    assert await client.ask(event(1, t=12.5)) == {"ack": "ev-0001", "revision": 2}
    assert await client.ask(event(1, type="offside", t=12.5)) == {"ack": "ev-0001", "revision": 3}
    assert [(i.event.id, i.revision, i.event.type, i.event.t) for i in got.items] == [
        ("ev-0001", 1, "foul", 11.0), ("ev-0001", 2, "foul", 12.5), ("ev-0001", 3, "offside", 12.5)]


async def test_a_failing_handler_is_an_error_reply_and_a_resend_is_taken_later():
    calls = []

    async def flaky(item: IntakeItem) -> None:
        calls.append(item.event.id)
        if len(calls) == 1:
            raise OSError("disk full")

    server = IntakeServer(IntakeConfig(tokens=(TOKEN,)), flaky)
    await server.start()
    try:
        client = await TcpLogger.open(server.tcp_port)
        await client.ask({"hello": "fay", "token": TOKEN})
        assert "disk full" in (await client.ask(event(1)))["error"]
        assert await client.ask(event(1)) == {"ack": "ev-0001", "revision": 1}
        assert calls == ["ev-0001", "ev-0001"]
    finally:
        await server.close()


class Gated:
    """An intake callback that holds every event until the test opens the gate; the first time ``fail`` is
    handed on, it fails (a full disk)."""

    def __init__(self, fail: str | None = None) -> None:
        self.items: list[IntakeItem] = []
        self.gate = asyncio.Event()
        self.fail = fail

    async def __call__(self, item: IntakeItem) -> None:
        self.items.append(item)
        await self.gate.wait()
        if item.event.id == self.fail:
            self.fail = None
            raise OSError("disk full")

    async def holding(self, count: int) -> None:
        """Return once ``count`` events wait at the gate."""
        while len(self.items) < count:
            await asyncio.sleep(0.01)


async def sent_lines(client: TcpLogger, *messages: dict) -> None:
    client.writer.write(b"".join(json.dumps(m).encode() + b"\n" for m in messages))
    await client.writer.drain()


async def test_a_logger_events_are_handed_on_before_the_earlier_ones_are_answered():
    gated = Gated()
    server = IntakeServer(IntakeConfig(tokens=(TOKEN,)), gated)
    await server.start()
    try:
        client = await TcpLogger.open(server.tcp_port)
        await client.ask({"hello": "gus", "token": TOKEN})
        await sent_lines(client, event(1), event(2), {"id": "bad"}, event(3))
        await asyncio.wait_for(gated.holding(3), 5)  # none answered yet, all three handed on, in order
        assert [i.event.id for i in gated.items] == ["ev-0001", "ev-0002", "ev-0003"]
        gated.gate.set()
        replies = [json.loads(await asyncio.wait_for(client.reader.readline(), 5)) for _ in range(4)]
        assert replies[0] == {"ack": "ev-0001", "revision": 1}
        assert replies[1] == {"ack": "ev-0002", "revision": 1}
        assert replies[2]["field"] == "type"
        assert replies[3] == {"ack": "ev-0003", "revision": 1}
    finally:
        await server.close()


async def test_a_resend_of_an_event_being_taken_waits_for_it_and_is_taken_if_it_failed():
    gated = Gated(fail="ev-0001")
    server = IntakeServer(IntakeConfig(tokens=(TOKEN,)), gated)
    await server.start()
    try:
        client = await TcpLogger.open(server.tcp_port)
        await client.ask({"hello": "hal", "token": TOKEN})
        await sent_lines(client, event(1), event(1), event(2), event(2))
        await asyncio.wait_for(gated.holding(2), 5)
        gated.gate.set()
        replies = [json.loads(await asyncio.wait_for(client.reader.readline(), 5)) for _ in range(4)]
        assert "disk full" in replies[0]["error"]
        assert replies[1] == {"ack": "ev-0001", "revision": 1}  # not a "resend": the first was not stored
        assert replies[2] == {"ack": "ev-0002", "revision": 1}
        assert replies[3] == {"ack": "ev-0002", "revision": 1, "resend": True}
        assert [i.event.id for i in gated.items] == ["ev-0001", "ev-0002", "ev-0001"]
    finally:
        await server.close()


async def test_several_named_loggers_at_once_keep_their_order(intake):
    server, got = intake

    async def tcp_logger(name: str) -> None:
        client = await TcpLogger.open(server.tcp_port)
        await client.ask({"hello": name, "token": TOKEN})
        for i in range(40):
            assert (await client.ask(event(i, id=f"{name}-{i}")))["ack"] == f"{name}-{i}"
        client.close()

    async def ws_logger(name: str) -> None:
        async with connect(f"ws://127.0.0.1:{server.ws_port}") as ws:
            await ws.send(json.dumps({"hello": name, "token": TOKEN}))
            await ws.recv()
            for i in range(40):
                await ws.send(json.dumps(event(i, id=f"{name}-{i}")))
            for i in range(40):
                assert json.loads(await ws.recv())["ack"] == f"{name}-{i}"

    names = ["t1", "t2", "t3", "w1", "w2", "w3"]
    await asyncio.gather(*(tcp_logger(n) if n[0] == "t" else ws_logger(n) for n in names))
    for _ in range(100):  # every connection is gone, and the server knows it
        if not server.loggers:
            break
        await asyncio.sleep(0.02)
    assert not server.loggers
    for name in names:
        mine = [i.event.id for i in got.items if i.logger == name]
        assert mine == [f"{name}-{i}" for i in range(40)]
    assert len(got.items) == 240


async def test_rate_limit_answers_then_a_flood_closes():
    got = Collector()
    server = IntakeServer(IntakeConfig(tokens=(TOKEN,), rate_per_s=5, burst=10), got)
    await server.start()
    try:
        client = await TcpLogger.open(server.tcp_port)
        await client.ask({"hello": "gus", "token": TOKEN})
        replies = [await client.ask(event(i)) for i in range(15)]
        acks = [r for r in replies if "ack" in r]
        limited = [r for r in replies if r.get("error", "").startswith("rate limit exceeded")]
        assert 8 <= len(acks) <= 11 and len(acks) + len(limited) == 15
        flood = None
        for i in range(20, 60):
            flood = await client.ask(event(i))
            if flood is None or "flood" in flood.get("error", ""):
                break
        assert flood is not None and "flood" in flood["error"]
        assert await client.closed()
        assert [i.event.id for i in got.items] == [r["ack"] for r in acks]
    finally:
        await server.close()


def _non_loopback_address() -> str | None:
    """An address of this machine other than loopback, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") or address == "0.0.0.0" else address


async def test_nothing_listens_beyond_loopback_by_default(intake):
    server, _ = intake
    addresses = server.addresses()
    assert len(addresses) == 2 and all(host == "127.0.0.1" for host, _ in addresses)
    outside = _non_loopback_address()
    if outside is not None:
        for port in (server.ws_port, server.tcp_port):
            with pytest.raises(OSError):
                await asyncio.wait_for(asyncio.open_connection(outside, port), 2)


async def test_listening_beyond_loopback_only_when_configured():
    server = IntakeServer(IntakeConfig(tokens=(TOKEN,), host="0.0.0.0", ws_port=None), Collector())
    await server.start()
    try:
        assert server.addresses() == [("0.0.0.0", server.tcp_port)]
    finally:
        await server.close()
