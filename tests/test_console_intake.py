"""The console's network intake: a logger sends an event over TCP, it is acknowledged only once it is in
the session file, and its proposal follows."""
from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from core.serve.ports import free_port
from tests.console_media import write_excerpt

ROOT = Path(__file__).resolve().parents[1]


def connect(port: int, deadline: float) -> socket.socket:
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=10)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def exchange(sock: socket.socket, reader, message: dict) -> dict:
    sock.sendall(json.dumps(message).encode() + b"\n")
    return json.loads(reader.readline())


def test_event_sent_over_tcp_is_stored_before_its_ack_and_gets_a_proposal(tmp_path: Path,
                                                                         shared_data: Path) -> None:
    excerpt = write_excerpt(shared_data, tmp_path / "excerpt.wav", seconds=30.0, whistles_at=(4.0, 20.0))
    port = free_port()
    db_path = tmp_path / "session.sqlite"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.main", "--source", str(excerpt), "--speed", "2", "--session", str(db_path),
         "--config", str(tmp_path / "config"), "--intake-token", "s3cret", "--intake-tcp-port", str(port),
         "--intake-ws-port", "0"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        with connect(port, time.monotonic() + 60) as intruder:
            reply = exchange(intruder, intruder.makefile("r"), {"hello": "eve", "token": "wrong"})
            assert "error" in reply
        with connect(port, time.monotonic() + 10) as sock:
            reader = sock.makefile("r")
            assert "error" not in exchange(sock, reader, {"hello": "ana", "token": "s3cret"})
            ack = exchange(sock, reader, {"id": "net-1", "type": "foul", "t": 6.0})
            assert ack == {"ack": "net-1", "revision": 1}
            with sqlite3.connect(db_path) as db:  # acknowledged means stored
                assert db.execute("SELECT id, type, t_logged FROM events").fetchall() == [("net-1", "foul", 6.0)]
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                with sqlite3.connect(db_path) as db:
                    rows = db.execute("SELECT basis, n FROM proposals WHERE event_id = 'net-1' "
                                      "ORDER BY revision DESC").fetchall()
                if rows and rows[0][0] == "whistle":  # revised once the audio reaches the whistle
                    break
                time.sleep(0.2)
        assert rows and rows[0][0] == "whistle" and abs(rows[0][1] / 16_000 - 4.0) < 0.1
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
