"""The broadcast overlay in headless Chromium against a real WebSocket feed: a graphic pops only once the
playout-delayed media time has passed the event, a correction earlier does not pop it again, a
cancellation withdraws it; the server answers nothing without the token. Saves overlay.png (see the screenshots fixture)."""
from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from core.overlay.server import OverlayServer
from core.publish.message import Draft
from core.publish.outbox import Outbox
from core.publish.publisher import Publisher
from core.publish.sink_wsfeed import WsFeedServer
from core.serve.ports import free_port

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
TOKEN = "overlay-token"
DELAY_S = 2.0


class DevTools:
    """A headless Chromium page driven over the DevTools protocol."""

    def __init__(self, ws, proc) -> None:
        self.ws = ws
        self.proc = proc
        self._next = 0

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls, url: str, profile: Path):
        port = free_port()
        proc = await asyncio.create_subprocess_exec(
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--no-first-run", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
            f"--user-data-dir={profile}", f"--remote-debugging-port={port}", "--window-size=1920,1080",
            url, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        try:
            target = await _page_target(port)
            async with connect(target, max_size=None, open_timeout=20) as ws:
                yield cls(ws, proc)
        finally:
            proc.terminate()
            await proc.wait()

    async def call(self, method: str, **params) -> dict:
        self._next += 1
        await self.ws.send(json.dumps({"id": self._next, "method": method, "params": params}))
        while True:
            reply = json.loads(await asyncio.wait_for(self.ws.recv(), 30))
            if reply.get("id") == self._next:
                assert "error" not in reply, reply
                return reply["result"]

    async def js(self, expression: str):
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    async def until(self, expression: str, timeout: float = 20.0):
        deadline = asyncio.get_running_loop().time() + timeout
        while not (value := await self.js(expression)):
            assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {expression}"
            await asyncio.sleep(0.05)
        return value


async def _page_target(port: int) -> str:
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        with contextlib.suppress(OSError, ValueError):
            pages = await asyncio.to_thread(_get_json, f"http://127.0.0.1:{port}/json/list")
            for page in pages:
                if page.get("type") == "page":
                    return page["webSocketDebuggerUrl"]
        assert asyncio.get_running_loop().time() < deadline, "chromium did not start"
        await asyncio.sleep(0.2)


def _get_json(url: str):
    with urllib.request.urlopen(url, timeout=5) as reply:
        return json.loads(reply.read())


@pytest.fixture
async def feed(tmp_path):
    publisher = Publisher(Outbox(tmp_path / "session.sqlite", "m1"), heartbeat_s=0.5)
    await publisher.start()
    server = WsFeedServer(publisher, (TOKEN,))
    await server.start()
    yield publisher, server
    await server.close()
    await publisher.close()


@pytest.fixture
def overlay(feed):
    _, server = feed
    clock = {"media_s": None}
    host, port = server.addresses()[0]
    overlay = OverlayServer(f"ws://{host}:{port}", (TOKEN,), lambda: clock["media_s"], delay_s=DELAY_S)
    overlay.start()
    yield overlay, clock
    overlay.close()


async def _set_clock(page: DevTools, clock: dict, media_s: float) -> None:
    """Move the media clock and wait until the page has seen it."""
    clock["media_s"] = media_s
    await page.until(f"document.body.dataset.programme === '{media_s - DELAY_S:.3f}'")
    await asyncio.sleep(0.25)  # several ticks at this clock reading


POPS = "JSON.stringify(window.overlayState.pops)"
SHOWN = "Array.from(document.querySelectorAll('.lower-third:not(.leaving)')).map(e => [e.dataset.id, e.textContent])"


async def test_pops_after_the_delayed_media_time_corrects_in_place_and_withdraws(feed, overlay, tmp_path,
                                                                                   screenshots):
    publisher, _ = feed
    server, clock = overlay
    goal_t, card_t = 22 * 60 + 10.0, 23 * 60 + 40.0  # 23' and 24'
    await publisher.publish(Draft(id="ev-1", type="goal", status="provisional", t=goal_t, t_logged=goal_t - 3))
    async with DevTools.open(server.page_url(TOKEN) + "&hold=300", tmp_path / "profile") as page:
        await page.until("document.body.dataset.feed === 'live'")
        await page.until("window.overlayState.events.has('ev-1')")
        await _set_clock(page, clock, goal_t)  # the live input is at the goal, the programme 2 s behind
        await _set_clock(page, clock, goal_t + DELAY_S - 0.05)
        assert json.loads(await page.js(POPS)) == [] and await page.js(SHOWN) == []
        await _set_clock(page, clock, goal_t + DELAY_S + 0.05)
        pops = json.loads(await page.js(POPS))
        assert [p["id"] for p in pops] == ["ev-1"] and pops[0]["programme_s"] >= goal_t
        assert await page.js(SHOWN) == [["ev-1", "GOAL23'"]]

        # the operator corrects the goal 1.5 s earlier: applied in place, not shown again
        await publisher.publish(Draft(id="ev-1", type="goal", status="corrected", t=goal_t - 1.5,
                                      t_logged=goal_t - 3, confidence=0.95, basis="crowd", operator="op"))
        await page.until("window.overlayState.events.get('ev-1').revision === 2")
        await _set_clock(page, clock, goal_t + DELAY_S + 1.0)
        assert len(json.loads(await page.js(POPS))) == 1
        assert await page.js("document.querySelectorAll('.lower-third[data-id=\"ev-1\"]').length") == 1
        assert await page.js("document.querySelector('.lower-third[data-id=\"ev-1\"]').dataset.revision") == "2"

        # a yellow card logged before it happens on screen waits for the programme to reach it
        await publisher.publish(Draft(id="ev-2", type="yellow_card", status="provisional", t=card_t,
                                      t_logged=card_t - 2))
        await page.until("window.overlayState.events.has('ev-2')")
        await _set_clock(page, clock, card_t + DELAY_S - 0.05)
        assert [p["id"] for p in json.loads(await page.js(POPS))] == ["ev-1"]
        await _set_clock(page, clock, card_t + DELAY_S + 0.05)
        pops = json.loads(await page.js(POPS))
        assert [p["id"] for p in pops] == ["ev-1", "ev-2"] and pops[1]["programme_s"] >= card_t
        assert await page.js(SHOWN) == [["ev-1", "GOAL23'"], ["ev-2", "YELLOW CARD24'"]]

        await asyncio.sleep(0.6)  # slide-in animations done
        await page.call("Emulation.setDeviceMetricsOverride", width=1920, height=1080, deviceScaleFactor=1,
                        mobile=False)
        await page.call("Emulation.setDefaultBackgroundColorOverride", color={"r": 0, "g": 0, "b": 0, "a": 0})
        shot = await page.call("Page.captureScreenshot", format="png")
        (screenshots / "overlay.png").write_bytes(base64.b64decode(shot["data"]))

        # the card is cancelled: withdrawn from screen, the goal stays
        await publisher.publish(Draft(id="ev-2", type="yellow_card", status="cancelled", t=card_t,
                                      t_logged=card_t - 2, operator="op"))
        await page.until("document.querySelectorAll('.lower-third[data-id=\"ev-2\"]').length === 0")
        assert await page.js(SHOWN) == [["ev-1", "GOAL23'"]]
        assert len(json.loads(await page.js(POPS))) == 2


async def test_a_cancelled_event_never_pops_and_a_late_joiner_does_not_replay_old_events(feed, overlay, tmp_path):
    publisher, _ = feed
    server, clock = overlay
    await publisher.publish(Draft(id="old", type="goal", status="provisional", t=100.0, t_logged=99.0))
    await publisher.publish(Draft(id="gone", type="red_card", status="provisional", t=400.0, t_logged=399.0))
    await publisher.publish(Draft(id="gone", type="red_card", status="cancelled", t=400.0, t_logged=399.0))
    clock["media_s"] = 300.0  # the overlay joins long after the old goal
    async with DevTools.open(server.page_url(TOKEN) + "&hold=8", tmp_path / "profile") as page:
        await page.until("window.overlayState.events.has('gone')")
        await _set_clock(page, clock, 300.0)
        await _set_clock(page, clock, 410.0)
        assert json.loads(await page.js(POPS)) == [] and await page.js(SHOWN) == []


def test_the_server_listens_on_loopback_and_answers_nothing_without_the_token(overlay):
    server, clock = overlay
    host, port = server.address
    assert host == "127.0.0.1"
    clock["media_s"] = 12.5
    for path in ("/", "/overlay.js", "/overlay.css", "/config", "/clock"):
        for query in ("", "?token=wrong"):
            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.urlopen(f"http://{host}:{port}{path}{query}", timeout=5)
            assert err.value.code == 403
    assert _get_json(f"http://{host}:{port}/clock?token={TOKEN}") == {"media_s": 12.5}
    config = _get_json(f"http://{host}:{port}/config?token={TOKEN}")
    assert config["delay_s"] == DELAY_S and config["feed"].startswith("ws://127.0.0.1:")
    with urllib.request.urlopen(server.page_url(TOKEN), timeout=5) as reply:
        page = reply.read().decode()
    assert f"overlay.js?token={TOKEN}" in page


async def test_after_the_feed_restarts_the_page_resumes_without_popping_anything_twice(feed, overlay, tmp_path):
    publisher, feed_server = feed
    server, clock = overlay
    await publisher.publish(Draft(id="a", type="goal", status="provisional", t=50.0, t_logged=49.0))
    async with DevTools.open(server.page_url(TOKEN) + "&hold=300", tmp_path / "profile") as page:
        await page.until("window.overlayState.events.has('a')")
        await _set_clock(page, clock, 53.0)
        assert [p["id"] for p in json.loads(await page.js(POPS))] == ["a"]
        port = feed_server.port
        await feed_server.close()
        await page.until("document.body.dataset.feed === 'reconnecting'")
        await publisher.publish(Draft(id="b", type="red_card", status="provisional", t=55.0, t_logged=54.0))
        restarted = WsFeedServer(publisher, (TOKEN,), port=port)
        await restarted.start()
        try:
            await page.until("window.overlayState.events.has('b')")
            await _set_clock(page, clock, 58.0)
            assert [p["id"] for p in json.loads(await page.js(POPS))] == ["a", "b"]
            assert await page.js("window.overlayState.lastSeq") == 2
        finally:
            await restarted.close()
