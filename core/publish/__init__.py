"""Downstream publishing: the durable outbox (outbox, publisher), its messages (message), and the sinks
that read it (runner; sink_jsonl, sink_webhook, sink_mqtt, sink_wsfeed), wired together by service."""
