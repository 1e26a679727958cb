"""`matchsync serve --overlay-port`: the broadcast overlay served beside a live session, following its
media clock and the WebSocket feed sink."""
from __future__ import annotations

import json
import signal
import time
import urllib.error
import urllib.request

import pytest

from core.cli import main as cli_main
from core.serve.ports import free_port
from tests.test_serve import TOKEN, start_serve, wait_line


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def test_overlay_page_and_clock_follow_the_live_session(tmp_path):
    feed, overlay = free_port(), free_port()
    proc = start_serve(tmp_path, "--speed", "8", "--token", TOKEN, "--sink", f"ws:{feed}",
                       "--overlay-port", str(overlay), "--playout-delay", "2.5")
    try:
        url = wait_line(proc, "overlay http://").split()[-1]
        assert url.startswith(f"http://127.0.0.1:{overlay}/?token=")
        wait_line(proc, " live")
        status, page = get(url)
        assert status == 200 and b"<html" in page.lower()
        base = f"http://127.0.0.1:{overlay}"
        assert get(f"{base}/clock")[0] == 403
        assert get(f"{base}/clock?token=wrong")[0] == 403
        config = json.loads(get(f"{base}/config?token={TOKEN}")[1])
        assert config["delay_s"] == 2.5 and config["feed"] == f"ws://127.0.0.1:{feed}"
        first = json.loads(get(f"{base}/clock?token={TOKEN}")[1])["media_s"]
        time.sleep(1.0)
        later = json.loads(get(f"{base}/clock?token={TOKEN}")[1])["media_s"]
        assert first is not None and later > first  # played at 8x: the clock runs while live
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()


@pytest.mark.parametrize("args, words", [
    (["--source", "demo", "--token", "t", "--overlay-port", "0"], "add --sink ws:PORT"),
    (["--source", "demo", "--token", "t", "--sink", "ws:0", "--overlay-port", "0"], "add --sink ws:PORT"),
    (["--schedule", "x.csv", "--overlay-port", "0"], "use it with --source"),
])
def test_overlay_needs_a_fixed_feed_and_one_match(args, words, capsys):
    code = cli_main(["serve", *args])
    err = capsys.readouterr().err.strip()
    assert code == 2 and words in err and "\n" not in err
