"""The training window driven synchronously: a scripted trainee logs the demo match at known offsets."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from app.theme import apply_theme
from app.keymap import Keymap
from app.training.hotkeys import EVENT_KEYS, TRAINING_ACTIONS
from app.training.window import TrainingSetup, TrainingWindow
from core.detect.offline import detect_file
from core.training.calibration import cue_plan
from core.training.material import load_demo
from core.training.store import TrainingStore

OFFSETS = (0.2, 0.45, -0.3, 0.75, 0.9, 0.05, 0.6)


class FakeTime:
    """The window's time source, moved by the test (no real-time waits)."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    material = load_demo(7, 3.0, tmp_path_factory.mktemp("demo"))
    return material, detect_file(material.audio_path).anchors


@pytest.fixture
def window(qtbot, qapp, tmp_path, demo):
    apply_theme(qapp)
    clock = FakeTime()
    store = TrainingStore(tmp_path / "training.sqlite")
    win = TrainingWindow(TrainingSetup("ana", store, Keymap(tmp_path / "keys.json", TRAINING_ACTIONS), tmp_path / "reports",
                                       now=clock))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    win.load(demo[0])
    win.set_detections(demo[1])
    win.fake = clock
    yield win
    store.close()


def press_at(qtbot, win: TrainingWindow, t: float, key: str) -> None:
    win.fake.t = t
    win.tick()
    qtbot.keyClick(win, key.lower())


def clear_of_others(truth, ev, margin: float = 1.6) -> bool:
    return all(abs(o.t - ev.t) > margin for o in truth if o is not ev)


def test_scripted_trainee_report_shows_exact_offsets(qtbot, window):
    truth = window.material.truth
    missed, wrong = truth[2], truth[5]
    assert clear_of_others(truth, missed) and clear_of_others(truth, wrong)
    assert "red_card" not in {e.type for e in truth} and "yellow_card" not in {e.type for e in truth}
    pressed = {}
    for i, ev in enumerate(truth):
        if ev is missed:
            continue
        if ev is wrong:
            press_at(qtbot, window, ev.t + 0.3, EVENT_KEYS["red_card"])
            continue
        offset = OFFSETS[i % len(OFFSETS)]
        press_at(qtbot, window, ev.t + offset, EVENT_KEYS[ev.type])
        pressed[ev.t] = offset
    extra_t = (truth[0].t + truth[1].t) / 2
    press_at(qtbot, window, extra_t, EVENT_KEYS["yellow_card"])
    window.fake.t = window.material.duration_s + 1
    with qtbot.waitSignal(window.reported, timeout=20000) as signal:
        window.tick()  # the end of the match finishes the session

    report = window.report
    items = report["trainee"]["items"]
    hits = [i for i in items if i["kind"] == "hit"]
    assert {round(i["truth_t"], 6): i["error_s"] for i in hits} == {round(t, 6): round(o, 4)
                                                                   for t, o in pressed.items()}
    assert [i["truth_t"] for i in items if i["kind"] == "miss"] == [missed.t]
    assert [(i["truth_t"], i["entry_type"]) for i in items if i["kind"] == "wrong_type"] == [(wrong.t, "red_card")]
    assert [(i["entry_t"], i["type"]) for i in items if i["kind"] == "extra"] == [(round(extra_t, 4), "yellow_card")]
    overall = report["trainee"]["overall"]
    assert overall["hits_500ms"] == sum(abs(o) <= 0.5 for o in pressed.values())
    assert overall["hits_1000ms"] == len(pressed)
    assert overall["misses"] == 1 and overall["extra"] == 1 and overall["wrong_type"] == 1
    assert overall["median_lateness_s"] == pytest.approx(float(np.median(list(pressed.values()))), abs=1e-4)
    assert report["matchsync"] is not None and report["matchsync"]["overall"]["truth"] == len(truth)

    html = Path(signal.args[0]).read_text()
    assert "<svg" in html and "src=" not in html and "href=" not in html and "<link" not in html
    stored = window.store.sessions("ana")
    assert len(stored) == 1 and stored[0].hits_1000ms == len(pressed)
    assert window.store.report(stored[0].id)["trainee"] == json.loads(json.dumps(report["trainee"]))


def test_replay_drops_later_entries_and_relogs(qtbot, window):
    truth = window.material.truth
    press_at(qtbot, window, truth[0].t + 0.4, EVENT_KEYS[truth[0].type])
    press_at(qtbot, window, truth[1].t + 2.5, EVENT_KEYS[truth[1].type])
    window.replay_from(truth[1].t - 5)
    assert [e.t for e in window.entries] == [round(truth[0].t + 0.4, 4)]
    assert window.position == pytest.approx(truth[1].t - 5)
    window.fake.t += 5.2  # playing on from the replay point
    window.tick()
    qtbot.keyClick(window, EVENT_KEYS[truth[1].type].lower())
    assert window.entries[-1].t == pytest.approx(truth[1].t + 0.2, abs=1e-4)


def test_pause_holds_the_clock(qtbot, window):
    window.fake.t = 10.0
    qtbot.keyClick(window, Qt.Key.Key_Space)
    window.fake.t = 25.0
    assert window.position == pytest.approx(10.0)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    window.fake.t = 27.0
    assert window.position == pytest.approx(12.0)


def test_calibration_lateness_is_stored_and_applied(qtbot, window):
    window.do_calibrate()
    dialog = window.calibration
    dialog.start_button.click()
    for cue in cue_plan():
        window.fake.t = cue.t + 0.18
        dialog.tick()
        qtbot.keyClick(dialog, Qt.Key.Key_Space)
    window.fake.t += 5.0
    dialog.tick()
    assert dialog.result.lateness_s == pytest.approx(0.18, abs=1e-6)
    dialog.accept()
    assert window.store.trainee("ana").lateness_s == pytest.approx(0.18, abs=1e-6)
    assert window.lateness_box.isEnabled()
    window.lateness_box.setChecked(True)
    window.activateWindow()
    window.do_pause()  # the calibration paused the replay
    window.fake.t += 12.5
    qtbot.keyClick(window, "g")
    assert window.entries[-1].t == pytest.approx(window.position - 0.18, abs=1e-4)


def test_keys_remap_and_progress(qtbot, window):
    assert window.keymap.remap("log_foul", ("K",))  # K is the kickoff's: refused
    assert not window.keymap.remap("log_foul", ("X",))
    window.apply_keys()
    assert ">&nbsp;X&nbsp;<" in window.keys_panel.text()
    ev = window.material.truth[0]
    press_at(qtbot, window, ev.t, "X")
    assert window.entries[-1].type == "foul"
    window.do_finish()
    window.do_progress()
    assert window.progress.f1 == [s.f1 for s in window.store.sessions("ana")]


def test_screenshot_of_the_training_window(qtbot, window, screenshots):
    truth = window.material.truth
    window.resize(1360, 800)
    window.assist_box.setChecked(True)
    for ev in truth[:5]:
        press_at(qtbot, window, ev.t + 0.4, EVENT_KEYS[ev.type])
    window.fake.t = truth[5].t + 1.0
    window.tick()
    assert window.grab().save(str(screenshots / "training.png"))


def test_scrub_bar_replays_from_the_chosen_point(qtbot, window):
    window.fake.t = 100.0
    window.tick()
    assert window.scrub.value() == 1000
    window.scrub.setValue(420)
    window.scrub.sliderReleased.emit()
    assert window.position == pytest.approx(42.0)


def test_assist_shows_matchsync_detections_only_when_on(qtbot, window):
    from PySide6.QtWidgets import QGraphicsRectItem

    def boxes() -> int:
        return sum(isinstance(item, QGraphicsRectItem) for item in window.timeline.spec.items)

    whistles = [a for a in window.anchors if a.kind == "whistle" and a.start / 16000 < 120.0]
    assert whistles and not window.assist_box.isChecked()  # off by default
    window.fake.t = 120.0
    window.tick()
    assert boxes() == 0
    qtbot.keyClick(window, Qt.Key.Key_F2)
    window.tick()
    assert boxes() == len(whistles)
    qtbot.keyClick(window, Qt.Key.Key_F2)
    window.tick()
    assert boxes() == 0


class _FailingDevice:
    """A sound device that is listed but cannot be opened (unplugged, busy, its server gone)."""

    def play(self, *args, **kwargs):
        raise OSError("Error opening OutputStream: Illegal combination of I/O devices")

    def stop(self):
        pass


def test_a_sound_device_that_fails_to_open_leaves_training_running_silently(window, qtbot):
    sound = window.setup.sound
    sound._sd, sound.problem = _FailingDevice(), None
    if window.clock.running:
        window.do_pause()
    window.do_pause()  # plays again: the device fails to open
    qtbot.waitUntil(lambda: "sound output failed" in window.alert.text(), timeout=2000)
    assert window.clock.running and sound.problem.endswith("playing silently")
