"""The console publishes: a logged event goes out at once as provisional (spoiler-safe), an operator's
decision made by key goes out as its next revision through a real JSONL sink, the sinks panel shows the
sink healthy with nothing left to deliver, and Ctrl+E exports the session with its publications."""
from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import Qt

from app.keymap import Keymap
from app.launch import start_publishing
from app.settings import ConsoleSettings
from app.theme import apply_theme
from app.window import ConsoleSetup, ConsoleWindow
from core.live.feeds import FileFeed
from core.live.sources import PacedFileSource
from core.live.worker import DspWorker
from core.publish.service import parse_sink
from core.session.store import SessionStore
from core.sync.engine import SyncEngine
from tests.console_media import append_event, write_excerpt


@pytest.fixture
def loop(qapp):
    loop = qasync.QEventLoop(qapp, already_running=False)
    asyncio.set_event_loop(loop)
    yield loop
    loop.close()
    asyncio.set_event_loop(None)


async def until(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


def published(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_decision_by_key_goes_out_as_a_new_revision_and_panel_shows_it_delivered(
        qtbot, qapp, loop, shared_data: Path, tmp_path: Path) -> None:
    apply_theme(qapp)
    excerpt = write_excerpt(shared_data, tmp_path / "excerpt.wav")
    events = tmp_path / "logged.jsonl"
    events.write_text("")
    out = tmp_path / "published.jsonl"
    source = PacedFileSource(str(excerpt), speed=10.0)
    worker = DspWorker(source, SyncEngine(source.rate), FileFeed(events))
    window = ConsoleWindow(ConsoleSetup(worker, SessionStore(tmp_path / "session.sqlite"), "alice",
                                        ConsoleSettings(deadline_s=None), tmp_path / "cfg" / "settings.json",
                                        Keymap(tmp_path / "cfg" / "keys.json"), "excerpt", synchronous=True))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    publishing = start_publishing(window, [parse_sink(f"jsonl:{out}")], ())
    panel = window.panels.widget(0)

    async def scenario() -> None:
        await until(lambda: window.head_n > 5.5 * window.rate)
        append_event(events, "ev-1", "foul", 6.0)
        await until(lambda: len(published(out)) == 1)
        first = published(out)[0]
        assert (first["id"], first["revision"], first["status"]) == ("ev-1", 1, "provisional")
        assert first["t"] >= 6.0  # never before the logged moment: the logger is late, not early
        await until(lambda: "ev-1" in window.book.rows and window.book.rows["ev-1"].proposal is not None
                    and window.book.rows["ev-1"].proposal.basis == "whistle")
        window.select("ev-1")
        qtbot.keyClick(window, Qt.Key.Key_Return)
        assert window.book.rows["ev-1"].status == "accepted"
        await until(lambda: len(published(out)) == 2)
        await asyncio.sleep(0.6)  # one panel refresh
        second = published(out)[1]
        assert (second["id"], second["revision"], second["status"], second["operator"]) == \
            ("ev-1", 2, "corrected", "alice")
        assert abs(second["t"] - window.book.rows["ev-1"].n / window.rate) < 1e-3  # the whistle at 4.0 s
        assert abs(second["t"] - 4.0) < 0.1
        assert panel.rows() == [(f"jsonl:{out}", "ok", "2", "0", "")]
        assert panel.table.item(0, 3).text() == "0" and panel.table.item(0, 1).text() == "ok"
        qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
        exported = [json.loads(line) for line in (tmp_path / "session.export.jsonl").read_text().splitlines()]
        assert [(r["revision"], r["status"]) for r in exported if r["kind"] == "publication"] == \
            [(1, "provisional"), (2, "corrected")]
        assert [(r["action"], r["operator"]) for r in exported if r["kind"] == "decision"] == [("accept", "alice")]
        assert (tmp_path / "session.export.csv").stat().st_size > 0

    try:
        loop.run_until_complete(scenario())
    finally:
        window.shutdown()
        loop.run_until_complete(publishing.close())
