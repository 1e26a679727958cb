"""The console follows a served match day: the real StatusBoard's file (and its GET /status endpoint)
lists scheduled, live and finished sessions; attaching opens a live session's file read-only and follows
its new events, decisions and publications."""
from __future__ import annotations

import asyncio
import io
import threading
from pathlib import Path

import pytest

from app.keymap import Keymap
from app.launch import build_parser, follow_serve, mount_sessions
from app.settings import ConsoleSettings
from app.window import ConsoleSetup, ConsoleWindow
from core.errors import InputError
from core.model import LoggedEvent
from core.publish.message import provisional
from core.publish.outbox import Outbox
from core.serve.session import SessionReport
from core.serve.status import StatusBoard, StatusServer
from core.session.book import EventBook
from core.session.store import SessionStore, StoredProposal


@pytest.fixture
def match_day(tmp_path: Path) -> tuple[StatusBoard, Path]:
    """Three sessions on the board; the live one has a session file with one published event."""
    board = StatusBoard(tmp_path / "schedule-status.json", out=io.StringIO())
    board.update(SessionReport("cup-1 early"))
    board.update(SessionReport("cup-2", state="live", events=1, published=1, media_s=61.5))
    board.update(SessionReport("cup-3", state="finished", reason="full time", events=30, published=58))
    store = SessionStore(tmp_path / "cup-2.sqlite")
    EventBook(store, "serve", lambda t: int(t * 16000)).add_event(LoggedEvent("ev-1", "foul", 50.0, {}), 800000)
    store.close()
    outbox = Outbox(tmp_path / "cup-2.sqlite", "cup-2")
    outbox.append([provisional(LoggedEvent("ev-1", "foul", 50.0, {}), 52.5)])
    outbox.close()
    return board, tmp_path


def test_sessions_panel_lists_states_and_attach_follows_a_live_session(qtbot, qapp, match_day) -> None:
    board, folder = match_day
    window = ConsoleWindow(ConsoleSetup(None, SessionStore(folder / "console.sqlite"), "alice", ConsoleSettings(),
                                        folder / "cfg" / "settings.json", Keymap(folder / "cfg" / "keys.json"),
                                        "no source"))
    qtbot.addWidget(window)
    follower = follow_serve(build_parser().parse_args(["--serve-status", str(board.path)]))
    mount_sessions(window, follower)
    panel = window.panels.widget(0)
    try:
        qtbot.waitUntil(lambda: panel.table.rowCount() == 3, timeout=5000)
        assert [(panel.table.item(r, 0).text(), panel.table.item(r, 1).text()) for r in range(3)] == \
            [("cup-1 early", "scheduled"), ("cup-2", "live"), ("cup-3", "finished")]
        assert panel.table.item(2, 6).text() == "full time"
        assert panel.attach("cup-1 early") is None and "no session file yet" in panel.summary.text()

        view = panel.attach("cup-2")
        assert view is not None and view.isVisible()
        assert view.table.rowCount() == 1 and view.table.item(0, 6).text() == "provisional"

        store = SessionStore(folder / "cup-2.sqlite")  # the served session goes on
        book = EventBook(store, "serve", lambda t: int(t * 16000))
        book.add_event(LoggedEvent("ev-2", "goal", 70.0, {}), 1_150_000)
        book.add_proposal(StoredProposal("ev-2", 1, 1_100_000, 0.95, "surge", 1_150_000, {}))
        book.head_n = 1_150_000
        book.auto("ev-2", "confidence")
        store.close()
        outbox = Outbox(folder / "cup-2.sqlite", "cup-2")
        outbox.append([provisional(LoggedEvent("ev-2", "goal", 70.0, {}), 72.5)])
        outbox.close()
        board.update(SessionReport("cup-2", state="finished", reason="full time", events=2, published=2))

        qtbot.waitUntil(lambda: view.table.rowCount() == 2, timeout=5000)
        assert [view.table.item(1, c).text() for c in (0, 3, 4, 5, 6)] == \
            ["ev-2", "auto", "68.75", "policy", "provisional"]
        qtbot.waitUntil(lambda: panel.table.item(1, 1).text() == "finished", timeout=5000)
    finally:
        follower.stop()
        window.shutdown()


def test_status_url_needs_the_token(match_day) -> None:
    board, _ = match_day
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server = StatusServer(board, ("s3cret",))
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(5)
    try:
        url = f"http://127.0.0.1:{server.port}/status"
        follower = follow_serve(build_parser().parse_args(["--serve-status", url, "--serve-token", "s3cret"]))
        follower.poll()
        assert follower.error is None
        assert [s["state"] for s in follower.sessions] == ["scheduled", "live", "finished"]
        assert follower.session_path("cup-2") is None  # no folder known for a URL without --serve-sessions
        wrong = follow_serve(build_parser().parse_args(["--serve-status", url, "--serve-token", "nope"]))
        wrong.poll()
        assert wrong.sessions == [] and "401" in wrong.error
        with pytest.raises(InputError, match="token"):
            follow_serve(build_parser().parse_args(["--serve-status", url]))
    finally:
        asyncio.run_coroutine_threadsafe(server.close(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
