"""Headless serving: one match session without a window (session), the sources and logger feeds it
takes (inputs), its sinks including NATS JetStream (sinks), fixtures read from a schedule file
(schedule), the scheduler that starts and stops a session per fixture (scheduler), state reports as
lines, a file and an HTTP endpoint (status), a clock tests can speed up (clock), and a local
nats-server cluster for tests and one-host match days (nats_cluster)."""
