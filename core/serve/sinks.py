"""Sink specs of a served session: the publishing service's kinds plus the NATS JetStream sink."""
from __future__ import annotations

from core.errors import InputError
from core.publish.runner import Sink
from core.publish.service import Publishing, SinkSpec, parse_sink
from core.publish.sink_nats import NatsSink, NatsSpecError, NatsTarget


def parse_any_sink(spec: str) -> SinkSpec:
    """A sink spec: ``nats:...`` (see core.publish.sink_nats) or any kind ``parse_sink`` knows."""
    if spec.startswith("nats:"):
        try:
            NatsTarget.parse(spec[len("nats:"):])
        except NatsSpecError as exc:
            raise InputError("--sink", f"{spec!r}: {exc}") from None
        return SinkSpec("nats", spec[len("nats:"):])
    try:
        return parse_sink(spec)
    except InputError as exc:
        raise InputError("--sink", f"{exc.problem} or nats:HOST:PORT[,...]/COMPETITION[/MATCH]") from None


class ServePublishing(Publishing):
    """Publishing whose sinks may also be NATS JetStream subjects."""

    def _sink(self, spec: SinkSpec) -> Sink:
        if spec.kind == "nats":
            session = self.publisher.outbox.session
            return NatsSink(NatsTarget.parse(spec.target), session, name=spec.name)
        return super()._sink(spec)
