"""MQTT sink against a real mosquitto on a free loopback port: QoS 1 in order, retained status,
heartbeat, last will on kill -9, and a broker outage."""
from __future__ import annotations

import asyncio
import contextlib
import getpass
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from core.publish.message import Draft
from core.publish.outbox import Outbox
from core.publish.publisher import Publisher
from core.publish.runner import SinkRunner
from core.publish.sink_mqtt import MqttSink
from core.serve.ports import free_port

MOSQUITTO = "/usr/sbin/mosquitto"
ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(not os.path.exists(MOSQUITTO), reason="mosquitto is not installed")


class Broker:
    """A mosquitto process with persistence, on a loopback port of its own."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.conf = workdir / "mosquitto.conf"
        self.conf.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
                             f"persistence true\npersistence_location {workdir}/\nuser {getpass.getuser()}\n")
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.2):
                return
            assert time.monotonic() < deadline and self.proc.poll() is None, "mosquitto did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture
def broker(tmp_path):
    b = Broker(tmp_path)
    b.start()
    yield b
    b.stop()


class Subscriber:
    """A persistent-session QoS 1 subscriber to everything under the prefix."""

    def __init__(self, port: int, prefix: str, client_id: str, clean: bool = False) -> None:
        self.messages: list[tuple[str, dict, bool]] = []
        self.lock = threading.Lock()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                                  clean_session=clean)
        self.client.on_connect = lambda c, *_: c.subscribe(f"{prefix}/#", qos=1)
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(0.2, 1)
        self.client.connect("127.0.0.1", port, 10)
        self.client.loop_start()

    def _on_message(self, client, userdata, msg) -> None:
        with self.lock:
            self.messages.append((msg.topic.rsplit("/", 1)[-1], json.loads(msg.payload), msg.retain))

    def on(self, leaf: str) -> list[dict]:
        with self.lock:
            return [payload for topic, payload, _ in self.messages if topic == leaf]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


async def until(predicate, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


def draft(i: int) -> Draft:
    return Draft(id=f"ev-{i % 9}", type="corner", status="provisional", t=5.0 + i, t_logged=6.0 + i)


def in_first_order(events: list[dict]) -> list[int]:
    """Sequence numbers as a consumer sees them after deduplicating by (id, revision)."""
    seen, out = set(), []
    for m in events:
        if (m["id"], m["revision"]) not in seen:
            seen.add((m["id"], m["revision"]))
            out.append(m["seq"])
    return out


@contextlib.asynccontextmanager
async def mqtt_runner(tmp_path, broker: Broker, prefix: str):
    publisher = Publisher(Outbox(tmp_path / "s.sqlite", "m7"), heartbeat_s=0.3)
    await publisher.start()
    sink = MqttSink("127.0.0.1", broker.port, prefix, "m7", ack_timeout_s=1.0)
    runner = SinkRunner(sink, publisher, backoff_s=0.1, backoff_max_s=0.5)
    task = asyncio.create_task(runner.run())
    try:
        yield publisher, runner
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await sink.close()
        await publisher.close()


async def test_mqtt_qos1_in_order_with_retained_status_and_heartbeat(tmp_path, broker):
    sub = Subscriber(broker.port, "ms/m7", "sub-a")
    async with mqtt_runner(tmp_path, broker, "ms/m7") as (publisher, runner):
        for i in range(30):
            await publisher.publish(draft(i))
        await until(lambda: len(sub.on("events")) >= 30)
        assert in_first_order(sub.on("events")) == list(range(1, 31))
        await until(lambda: runner.health().backlog == 0)
        assert runner.health().state == "ok" and runner.health().delivered_seq == 30
        await until(lambda: any(b["last_seq"] == 30 for b in sub.on("heartbeat")))
        late = Subscriber(broker.port, "ms/m7", "sub-late", clean=True)
        await until(lambda: late.on("status"))
        assert late.on("status")[0] == {"state": "online", "session": "m7"}
        assert late.messages[0][2] is True  # retained
        late.close()
    await until(lambda: sub.on("status")[-1]["state"] == "offline")  # a clean goodbye says so too
    sub.close()


LAST_WILL_PROGRAM = """
import asyncio, sys, time
from core.publish.sink_mqtt import MqttSink
sink = MqttSink("127.0.0.1", int(sys.argv[1]), "ms/dies", "m9")
while not sink.connected:
    time.sleep(0.05)
print("connected", flush=True)
time.sleep(60)
"""


async def test_mqtt_last_will_marks_a_killed_publisher_offline(tmp_path, broker):
    sub = Subscriber(broker.port, "ms/dies", "sub-w")
    proc = subprocess.Popen([sys.executable, "-c", LAST_WILL_PROGRAM, str(broker.port)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "connected"
        await until(lambda: sub.on("status") and sub.on("status")[-1]["state"] == "online")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(5)
        await until(lambda: sub.on("status")[-1]["state"] == "offline")
        assert sub.on("status")[-1] == {"state": "offline", "session": "m9"}
    finally:
        if proc.poll() is None:
            proc.kill()
        sub.close()


async def test_mqtt_broker_down_for_two_seconds_then_everything_in_order(tmp_path, broker):
    sub = Subscriber(broker.port, "ms/out", "sub-o")
    async with mqtt_runner(tmp_path, broker, "ms/out") as (publisher, runner):
        for i in range(20):
            await publisher.publish(draft(i))
        await until(lambda: runner.delivered == 20)
        broker.stop()
        for i in range(20, 45):
            await publisher.publish(draft(i))
        await asyncio.sleep(2.0)
        health = runner.health()
        assert health.state == "retrying" and health.backlog == 25 and health.failures >= 1
        broker.start()
        await until(lambda: runner.delivered == 45)
        await until(lambda: len(in_first_order(sub.on("events"))) >= 45)
        assert in_first_order(sub.on("events")) == list(range(1, 46))
    sub.close()
