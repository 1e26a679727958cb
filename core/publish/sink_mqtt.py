"""MQTT sink: publications at QoS 1, a retained status topic, and a last will that marks us offline.

Topics under ``prefix``: ``events`` (each publication), ``heartbeat`` (last sequence every few
seconds) and ``status`` (retained ``online`` / ``offline``; the broker publishes the ``offline`` will
itself when the connection dies without a clean goodbye).
"""
from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

import paho.mqtt.client as mqtt

from core.publish.message import Publication


class MqttError(Exception):
    """The broker is unreachable or did not acknowledge a message."""


class MqttSink:
    """A paho client on its own network thread; ``deliver`` waits for every PUBACK."""

    batch_size = 100

    def __init__(self, host: str, port: int, prefix: str, session: str, name: str = "mqtt",
                 keepalive_s: int = 10, ack_timeout_s: float = 5.0) -> None:
        self.name = name
        self.prefix = prefix.rstrip("/")
        self.session = session
        self.ack_timeout_s = ack_timeout_s
        self._client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                                   client_id=f"matchsync-{session}-{name}")
        self._client.will_set(self.topic("status"), self._status("offline"), qos=1, retain=True)
        self._client.on_connect = self._on_connect
        self._client.reconnect_delay_set(min_delay=1, max_delay=5)
        self._client.connect_async(host, port, keepalive_s)
        self._client.loop_start()

    def topic(self, leaf: str) -> str:
        """The full topic name for ``leaf``."""
        return f"{self.prefix}/{leaf}"

    @property
    def connected(self) -> bool:
        """True while the broker connection is up."""
        return self._client.is_connected()

    def _status(self, state: str) -> str:
        return json.dumps({"state": state, "session": self.session})

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if not reason_code.is_failure:
            client.publish(self.topic("status"), self._status("online"), qos=1, retain=True)

    async def deliver(self, pubs: Sequence[Publication]) -> None:
        """Publish the batch at QoS 1 and wait until the broker acknowledged all of it."""
        if not self.connected:
            raise MqttError("not connected to the broker")
        infos = [self._client.publish(self.topic("events"), p.to_json(), qos=1) for p in pubs]
        await asyncio.to_thread(self._wait_acks, infos)

    def _wait_acks(self, infos: list[mqtt.MQTTMessageInfo]) -> None:
        for info in infos:
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                raise MqttError(f"publish refused: {mqtt.error_string(info.rc)}")
            info.wait_for_publish(self.ack_timeout_s)
            if not info.is_published():
                raise MqttError("no PUBACK from the broker in time")

    async def heartbeat(self, message: dict) -> None:
        """Publish the heartbeat (QoS 0: the next one follows soon)."""
        self._client.publish(self.topic("heartbeat"), json.dumps(message), qos=0)

    async def close(self) -> None:
        """Say offline (retained), then disconnect cleanly."""
        if self.connected:
            info = self._client.publish(self.topic("status"), self._status("offline"), qos=1,
                                        retain=True)
            await asyncio.to_thread(info.wait_for_publish, self.ack_timeout_s)
        self._client.disconnect()
        self._client.loop_stop()
