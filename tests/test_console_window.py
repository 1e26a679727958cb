"""The real console window, offscreen: events arrive, proposals show, keys decide, the session file holds it.

The DSP worker runs synchronously (each display tick drains the ring) and the excerpt plays at 10x pace.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import QPointF, Qt

from app.keymap import Keymap
from app.settings import ConsoleSettings
from app.theme import apply_theme
from app.window import ConsoleSetup, ConsoleWindow
from core.live.feeds import FileFeed
from core.live.sources import PacedFileSource
from core.live.worker import DspWorker
from core.session.store import SessionStore
from core.sync.engine import SyncEngine
from tests.console_media import append_event, write_excerpt

SPEED = 10.0


@pytest.fixture(scope="module")
def excerpt(shared_data: Path, tmp_path_factory) -> Path:
    return write_excerpt(shared_data, tmp_path_factory.mktemp("media") / "excerpt.wav")


@pytest.fixture
def console(qtbot, qapp, excerpt: Path, tmp_path: Path):
    """A console on the excerpt with an empty, followed events file; returns (window, events, db path)."""
    apply_theme(qapp)
    events = tmp_path / "logged.jsonl"
    events.write_text("")
    session = tmp_path / "session.sqlite"
    source = PacedFileSource(str(excerpt), speed=SPEED)
    worker = DspWorker(source, SyncEngine(source.rate), FileFeed(events))
    setup = ConsoleSetup(worker, SessionStore(session), "alice", ConsoleSettings(deadline_s=None),
                         tmp_path / "config" / "settings.json", Keymap(tmp_path / "config" / "keys.json"),
                         "excerpt", synchronous=True)
    window = ConsoleWindow(setup)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    yield window, events, session
    window.shutdown()


def stored_decisions(session: Path) -> list[tuple]:
    """(event id, action, operator, status before, n before, status after, n after) from the file itself."""
    with sqlite3.connect(session) as db:
        return db.execute("SELECT event_id, action, operator, status_before, n_before, status_after, n_after "
                          "FROM decisions ORDER BY seq").fetchall()


def arrive(qtbot, window: ConsoleWindow, events: Path, eid: str = "ev-1", t: float = 6.0) -> None:
    """Log a foul 2 s after the first whistle once the audio is past it; wait for its proposal."""
    qtbot.waitUntil(lambda: window.head_n > 5.5 * window.rate, timeout=10_000)
    append_event(events, eid, "foul", t)
    qtbot.waitUntil(lambda: eid in window.book.rows and window.book.rows[eid].proposal is not None,
                    timeout=10_000)


def test_event_arrives_and_its_proposal_shows_in_table_and_lane(qtbot, console) -> None:
    window, events, session = console
    arrive(qtbot, window, events)
    window.refresh_events()
    row = window.book.rows["ev-1"]
    assert row.proposal.basis == "whistle"
    assert abs(row.proposal.n / window.rate - 4.0) < 0.1  # the whistle the excerpt has at 4.0 s
    table_row = window.model.ids.index("ev-1")
    proposed_cell = window.model.index(table_row, 3).data()
    assert proposed_cell == window.timecode(row.proposal.n)
    assert window.model.index(table_row, 8).data() == "pending"
    xs, ys = window.timeline.time_marks.getData()
    assert any(abs(x - row.proposal.n / window.rate) < 1e-6 for x in xs)
    logged_xs, _ = window.timeline.logged_marks.getData()
    assert len(logged_xs) == 1
    assert window.selected == "ev-1"
    with sqlite3.connect(session) as db:
        assert db.execute("SELECT id, type, t_logged FROM events").fetchall() == [("ev-1", "foul", 6.0)]
    qtbot.waitUntil(lambda: stored_proposals(session, "ev-1") >= 1, timeout=5_000)  # the writer thread's


def stored_proposals(session: Path, eid: str) -> int:
    with sqlite3.connect(session) as db:
        return db.execute("SELECT COUNT(*) FROM proposals WHERE event_id = ?", (eid,)).fetchone()[0]


def test_accept_key_accepts_and_is_stored(qtbot, console) -> None:
    window, events, session = console
    arrive(qtbot, window, events)
    proposed = window.book.rows["ev-1"].proposal.n
    qtbot.keyClick(window, Qt.Key.Key_Return)
    assert window.book.rows["ev-1"].status == "accepted"
    assert stored_decisions(session) == [("ev-1", "accept", "alice", "pending", proposed, "accepted", proposed)]


def test_nudges_and_undo_are_stored(qtbot, console) -> None:
    window, events, session = console
    arrive(qtbot, window, events)
    proposed = window.book.rows["ev-1"].proposal.n
    frame = round(window.rate / 25)
    qtbot.keyClick(window, Qt.Key.Key_Right)                                  # one frame later
    qtbot.keyClick(window, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)  # one second earlier
    assert window.book.rows["ev-1"].n == proposed + frame - window.rate
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.book.rows["ev-1"].n == proposed + frame
    assert window.book.rows["ev-1"].status == "overridden"
    assert stored_decisions(session) == [
        ("ev-1", "nudge", "alice", "pending", proposed, "overridden", proposed + frame),
        ("ev-1", "nudge", "alice", "overridden", proposed + frame, "overridden", proposed + frame - window.rate),
        ("ev-1", "undo", "alice", "overridden", proposed + frame - window.rate, "overridden", proposed + frame),
    ]


def test_remapped_key_takes_effect_and_persists(qtbot, console, tmp_path: Path) -> None:
    window, events, session = console
    assert window.keymap.remap("accept", ("A",)) == {}
    window.apply_keymap()
    arrive(qtbot, window, events)
    qtbot.keyClick(window, Qt.Key.Key_Return)  # no longer bound
    assert stored_decisions(session) == []
    qtbot.keyClick(window, Qt.Key.Key_A)
    assert [d[1] for d in stored_decisions(session)] == ["accept"]
    assert Keymap(tmp_path / "config" / "keys.json").keys["accept"] == ("A",)
    assert window.keymap.remap("reject", ("A",)) == {"A": ["accept", "reject"]}  # a taken key is refused


def test_deadline_policy_accepts_as_auto_and_alerts(qtbot, console) -> None:
    window, events, session = console
    window.apply_settings(ConsoleSettings(deadline_s=1.0))
    arrive(qtbot, window, events)
    proposed_at = window.book.rows["ev-1"].proposed_at_n
    qtbot.waitUntil(lambda: window.book.rows["ev-1"].status == "auto", timeout=10_000)
    [(eid, action, operator, before, _, after, n_after)] = stored_decisions(session)
    assert (eid, action, operator, before, after) == ("ev-1", "auto_deadline", "policy", "pending", "auto")
    assert n_after == window.book.rows["ev-1"].proposal.n
    with sqlite3.connect(session) as db:
        media_n = db.execute("SELECT media_n FROM decisions").fetchone()[0]
    assert media_n - proposed_at >= window.rate  # not before the deadline
    assert "DEADLINE" in window.status.alert.text()


def test_dragging_the_marker_overrides_and_reject_keeps_the_logged_time(qtbot, console) -> None:
    window, events, session = console
    arrive(qtbot, window, events)
    window.refresh_events()
    handle = window.timeline.handle
    assert handle.isVisible()
    handle.setValue(5.0)
    handle.sigPositionChangeFinished.emit(handle)
    qtbot.keyClick(window, Qt.Key.Key_R)
    logged_n = window.book.logged_n("ev-1")
    assert logged_n == window.book.rows["ev-1"].arrived_n  # it came in live: typed when it arrived
    assert [d[1:] for d in stored_decisions(session)] == [
        ("set_time", "alice", "pending", window.book.rows["ev-1"].proposal.n, "overridden", 5 * window.rate),
        ("reject", "alice", "overridden", 5 * window.rate, "rejected", logged_n)]


def test_help_overlay_lists_every_key_and_settings_persist(qtbot, console, tmp_path: Path) -> None:
    window, _, _ = console
    qtbot.keyClick(window, Qt.Key.Key_F1)
    assert window.overlay.isVisible()
    for action_id, keys in window.keymap.keys.items():
        assert " / ".join(keys) in window.overlay.text()
    qtbot.keyClick(window, Qt.Key.Key_F1)
    assert not window.overlay.isVisible()
    window.do_settings()
    dialog = window._settings_dialog
    dialog.auto_on.setChecked(True)
    dialog.auto.setValue(0.9)
    dialog.fps.setCurrentText("29.97")
    dialog.fft.setCurrentText("1024")
    dialog.accept_button.click()
    saved = (tmp_path / "config" / "settings.json").read_text()
    assert '"auto_accept": 0.9' in saved and '"fps": "29.97"' in saved
    assert window.settings.fft_size == 1024
    qtbot.waitUntil(lambda: window.timeline.fft_size == 1024, timeout=5_000)  # the worker switched FFT size


def test_freeze_holds_the_view_while_live_continues_and_click_sets_the_cursor(qtbot, console) -> None:
    window, events, session = console
    arrive(qtbot, window, events)
    qtbot.keyClick(window, Qt.Key.Key_F)
    held = window.timeline.spec.viewRange()[0]
    head = window.head_n
    qtbot.waitUntil(lambda: window.head_n > head + window.rate, timeout=10_000)
    assert window.timeline.spec.viewRange()[0] == held
    assert window.status.mode.text() == "FROZEN"
    view = window.timeline
    centre = view.spec.vb.mapViewToScene(QPointF(sum(held) / 2, 3000.0))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.mapFromScene(centre))
    assert abs(view.cursor_n / window.rate - sum(held) / 2) < 0.1
    qtbot.keyClick(window, Qt.Key.Key_C)
    assert stored_decisions(session)[-1][1:] == (
        "set_time", "alice", "pending", window.book.rows["ev-1"].proposal.n, "overridden", view.cursor_n)
    qtbot.keyClick(window, Qt.Key.Key_L)
    qtbot.waitUntil(lambda: window.timeline.spec.viewRange()[0][1] > held[1] + 0.5, timeout=10_000)
    assert window.status.mode.text() == "LIVE"


def test_remap_dialog_applies_keys_and_names_a_clash(qtbot, console) -> None:
    window, events, session = console
    window.do_remap()
    dialog = window._remap_dialog
    dialog.edits["reject"].setText("X")
    assert dialog.commit("reject")
    assert [k.toString() for k in window.actions_by_id["reject"].shortcuts()] == ["X"]
    dialog.edits["accept"].setText("X")
    assert not dialog.commit("accept")
    assert "X is already used by reject" in dialog.message.text()
    assert dialog.edits["accept"].text() == "Return"
    dialog.reject()
    window.activateWindow()
    arrive(qtbot, window, events)
    qtbot.keyClick(window, Qt.Key.Key_X)
    assert [d[1] for d in stored_decisions(session)] == ["reject"]


def test_tab_takes_the_next_alternative(qtbot, console) -> None:
    window, events, session = console
    arrive(qtbot, window, events)
    alternatives = [a["n"] for a in window.book.rows["ev-1"].proposal.detail["alternatives"]]
    assert len(alternatives) >= 2, "the excerpt should offer the whistle and at least one other candidate"
    qtbot.keyClick(window, Qt.Key.Key_Tab)
    [decision] = stored_decisions(session)
    assert decision[1] == "next_alternative" and decision[6] == alternatives[1]
