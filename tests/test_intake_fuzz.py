"""Fuzz the intake: over 10,000 malformed, oversized, non-UTF-8 and wrong-token messages on real
sockets; the server stays up, answers each with an error, and accepts every valid event in between."""
from __future__ import annotations

import asyncio
import json
import random

from websockets.asyncio.client import connect

from core.intake.server import IntakeConfig, IntakeItem, IntakeServer
from core.model import EVENT_TYPES

TOKEN = "fuzz-token"
LIMIT = 4096


def valid_event(rng: random.Random, name: str, i: int) -> dict:
    return {"id": f"{name}-{i}", "type": rng.choice(EVENT_TYPES), "t": round(rng.uniform(0, 6000), 3)}


def bad_message(rng: random.Random, name: str, i: int) -> bytes:
    """One message the intake must refuse; never contains a newline."""
    base = json.dumps(valid_event(rng, name, 10_000_000 + i)).encode()
    kind = rng.randrange(7)
    if kind == 0:  # truncated JSON (a proper prefix of an object is never an object)
        return base[: rng.randrange(1, len(base) - 1)]
    if kind == 1:  # printable garbage
        return bytes(rng.randrange(33, 127) for _ in range(rng.randrange(1, 80)))
    if kind == 2:  # oversized
        return json.dumps({**valid_event(rng, name, i), "note": "n" * rng.randrange(LIMIT, 3 * LIMIT)}).encode()
    if kind == 3:  # invalid UTF-8 inside an otherwise valid event
        cut = rng.randrange(1, len(base) - 1)
        return base[:cut] + rng.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xfe\xfe"]) + base[cut:]
    if kind == 4:  # a field of the wrong type or value
        field, value = rng.choice([("t", "soon"), ("t", None), ("type", "own_goal"), ("id", 7),
                                   ("id", ""), ("team", ["a"]), ("wall", "noon"), ("extra", 1)])
        return json.dumps({**valid_event(rng, name, 10_000_000 + i), field: value}).encode()
    if kind == 5:  # a wrong-token hello sent on an open connection
        return json.dumps({"hello": name, "token": "wrong-" + str(i)}).encode()
    return json.dumps(rng.choice([[], "event", 3, None, True])).encode()


def conversation(rng: random.Random, name: str, messages: int) -> list[tuple[bytes, str | None]]:
    """Messages and the id each must be acknowledged with (None: must get an error)."""
    out, valid = [], 0
    for i in range(messages):
        if rng.random() < 0.1:
            event = valid_event(rng, name, valid)
            out.append((json.dumps(event).encode(), event["id"]))
            valid += 1
        else:
            out.append((bad_message(rng, name, i), None))
    return out


def check(replies: list[dict], script: list[tuple[bytes, str | None]]) -> None:
    assert len(replies) == len(script)
    for reply, (raw, ack) in zip(replies, script):
        if ack is None:
            assert "error" in reply and "ack" not in reply, (raw[:80], reply)
        else:
            assert reply == {"ack": ack, "revision": 1}, (raw[:80], reply)


async def tcp_logger(port: int, name: str, script: list[tuple[bytes, str | None]]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(json.dumps({"hello": name, "token": TOKEN}).encode() + b"\n")
    assert json.loads(await reader.readline()) == {"welcome": name}
    replies = []
    for start in range(0, len(script), 250):
        chunk = script[start:start + 250]
        writer.write(b"".join(raw + b"\n" for raw, _ in chunk))
        await writer.drain()
        for _ in chunk:
            replies.append(json.loads(await reader.readline()))
    check(replies, script)
    writer.close()


async def ws_logger(port: int, name: str, script: list[tuple[bytes, str | None]]) -> None:
    async with connect(f"ws://127.0.0.1:{port}", max_size=None) as ws:
        await ws.send(json.dumps({"hello": name, "token": TOKEN}))
        assert json.loads(await ws.recv()) == {"welcome": name}
        replies = []
        for start in range(0, len(script), 250):
            chunk = script[start:start + 250]
            for raw, _ in chunk:
                await ws.send(raw)  # binary frames: non-UTF-8 must reach the intake's own check
            for _ in chunk:
                replies.append(json.loads(await ws.recv()))
        check(replies, script)


async def wrong_token_logger(port: int, i: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(json.dumps({"hello": f"intruder-{i}", "token": f"guess-{i}"}).encode() + b"\n")
    assert json.loads(await reader.readline()) == {"error": "bad token", "field": "token"}
    assert await reader.read() == b""
    writer.close()


async def test_fuzz_ten_thousand_bad_messages_server_stays_up_valid_events_all_accepted():
    received: list[IntakeItem] = []

    async def keep(item: IntakeItem) -> None:
        received.append(item)

    server = IntakeServer(IntakeConfig(tokens=(TOKEN,), rate_per_s=1e6, burst=1e6), keep)
    await server.start()
    rng = random.Random(6)
    scripts = {f"tcp{k}": conversation(rng, f"tcp{k}", 2200) for k in range(3)}
    scripts |= {f"ws{k}": conversation(rng, f"ws{k}", 2200) for k in range(2)}
    try:
        jobs = [tcp_logger(server.tcp_port, n, s) if n.startswith("tcp") else
                ws_logger(server.ws_port, n, s) for n, s in scripts.items()]
        jobs += [wrong_token_logger(server.tcp_port, i) for i in range(200)]
        await asyncio.gather(*jobs)
        bad = sum(ack is None for s in scripts.values() for _, ack in s) + 200
        assert bad >= 10_000, bad
        assert (server.errors, server.refused, server.accepted) == (bad, 200, len(received))
        for name, script in scripts.items():
            expected = [ack for _, ack in script if ack is not None]
            assert [i.event.id for i in received if i.logger == name] == expected
        # still up and serving after all of it
        await tcp_logger(server.tcp_port, "after", [(json.dumps({"id": "last", "type": "goal",
                                                                 "t": 1.0}).encode(), "last")])
        assert received[-1].event.id == "last"
    finally:
        await server.close()
