"""Sink specs from the command line, and the publishing service wiring outbox and sinks together."""
from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.client import connect

from core.errors import InputError
from core.publish.message import Draft
from core.publish.service import Publishing, SinkSpec, parse_sink


@pytest.mark.parametrize("text, spec", [
    ("jsonl:/tmp/out.jsonl", SinkSpec("jsonl", "/tmp/out.jsonl")),
    ("webhook:https://example.org/hook?a=1", SinkSpec("webhook", "https://example.org/hook?a=1")),
    ("mqtt:broker.local:1883/matchsync/m1", SinkSpec("mqtt", "matchsync/m1", "broker.local", 1883)),
    ("ws:8765", SinkSpec("ws", "feed", "127.0.0.1", 8765)),
    ("ws:0.0.0.0:8765", SinkSpec("ws", "feed", "0.0.0.0", 8765)),
])
def test_sink_specs_parse(text, spec):
    assert parse_sink(text) == spec


@pytest.mark.parametrize("text, words", [
    ("kafka:x", "expected one of"),
    ("jsonl:", "expected one of"),
    ("webhook:ftp://x", "http://"),
    ("mqtt:broker/prefix", "mqtt:HOST:PORT/PREFIX"),
    ("mqtt:broker:99999/p", "port"),
    ("ws:http", "port"),
])
def test_bad_sink_specs_name_the_problem(text, words):
    with pytest.raises(InputError) as err:
        parse_sink(text)
    assert err.value.where == "--sink" and words in err.value.problem and text in err.value.problem


async def test_publishing_delivers_to_every_sink_and_reports_health(tmp_path):
    out = tmp_path / "feed.jsonl"
    service = Publishing(tmp_path / "s.sqlite", "m2", [parse_sink(f"jsonl:{out}"), parse_sink("ws:0")],
                         feed_tokens=("tok",), fps="29.97")
    await service.start()
    try:
        (feed,) = service.feeds
        assert feed.addresses()[0][0] == "127.0.0.1"
        for i in range(10):
            await service.publish(Draft(id=f"e{i}", type="shot", status="provisional", t=60.0 + i,
                                        t_logged=61.0 + i))
        async with connect(f"ws://127.0.0.1:{feed.port}") as ws:
            await ws.send(json.dumps({"token": "tok", "from_seq": 0}))
            await ws.recv()
            got = [json.loads(await asyncio.wait_for(ws.recv(), 5)) for _ in range(10)]
        assert [m["seq"] for m in got] == list(range(1, 11)) and got[0]["timecode"] == "00:00:59;28"
        for _ in range(100):
            if all(h.backlog == 0 for h in service.health()):
                break
            await asyncio.sleep(0.05)
        names = [h.name for h in service.health()]
        assert names == [f"jsonl:{out}", f"ws:127.0.0.1:0"]
        assert all(h.backlog == 0 and h.state == "ok" for h in service.health())
        assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == [f"e{i}" for i in range(10)]
    finally:
        await service.close()
