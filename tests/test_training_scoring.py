"""Scoring a trainee's log, reaction calibration and the training store (plain Python, real SQLite)."""
from __future__ import annotations

import numpy as np
import pytest

from core.model import LoggedEvent
from core.training.calibration import cue_plan, measure, render_cues
from core.training.clock import PlaybackClock
from core.training.scoring import match_entries, score_log
from core.training.store import TrainingStore

TRUTH = (LoggedEvent("a", "foul", 10.0), LoggedEvent("b", "free_kick", 10.0), LoggedEvent("c", "corner", 30.0),
         LoggedEvent("d", "goal", 50.0), LoggedEvent("e", "kickoff", 80.0))


def test_hits_misses_extras_and_wrong_types():
    entries = [LoggedEvent("1", "free_kick", 10.7), LoggedEvent("2", "foul", 10.3),  # typed in the wrong order
               LoggedEvent("3", "throw_in", 30.4),  # wrong type
               LoggedEvent("4", "goal", 51.5),  # too late: an extra, and the goal is missed
               LoggedEvent("5", "kickoff", 79.6)]
    out = match_entries(list(TRUTH), entries)
    assert sorted((p.truth.id, p.entry.id, round(p.error_s, 6)) for p in out.hits) == [
        ("a", "2", 0.3), ("b", "1", 0.7), ("e", "5", -0.4)]
    assert [(p.truth.id, p.entry.id) for p in out.wrong_type] == [("c", "3")]
    assert [e.id for e in out.misses] == ["d"] and [e.id for e in out.extras] == ["4"]
    report = score_log(list(TRUTH), entries)
    overall = report["overall"]
    assert (overall["hits_500ms"], overall["hits_1000ms"], overall["misses"], overall["extra"],
            overall["wrong_type"]) == (2, 3, 1, 1, 1)
    assert overall["median_lateness_s"] == pytest.approx(0.3)
    assert overall["spread_iqr_s"] == pytest.approx(np.subtract(*np.percentile([0.3, 0.7, -0.4], (75, 25))))
    precision, recall = 3 / 5, 3 / 5
    assert overall["f1"] == pytest.approx(2 * precision * recall / (precision + recall), abs=1e-4)
    assert report["by_type"]["free_kick"]["hits_500ms"] == 0 and report["by_type"]["free_kick"]["hits_1000ms"] == 1
    assert report["by_type"]["throw_in"]["entries"] == 1 and report["by_type"]["corner"]["wrong_type"] == 1


def test_an_empty_log_misses_everything():
    report = score_log(list(TRUTH), [])
    assert report["overall"]["misses"] == len(TRUTH) and report["overall"]["f1"] == 0.0
    assert report["overall"]["median_lateness_s"] is None


def test_calibration_median_lateness_from_taps():
    cues = cue_plan(seed=3)
    delays = np.linspace(0.15, 0.35, len(cues))
    taps = [c.t + d for c, d in zip(cues, delays)][:-2] + [cues[0].t - 1.0]  # two cues unanswered, one stray tap
    result = measure(cues, taps)
    assert result.taps_matched == len(cues) - 2
    assert result.lateness_s == pytest.approx(float(np.median(delays[:-2])), abs=1e-4)
    audio = render_cues(cues, 16000)
    loud = np.flatnonzero(np.abs(audio) > 0.05)
    assert abs(loud[0] / 16000 - cues[0].t) < 0.01


def test_clock_pauses_and_seeks():
    now = [100.0]
    clock = PlaybackClock(60.0, lambda: now[0])
    clock.play()
    now[0] = 110.0
    assert clock.position() == pytest.approx(10.0)
    clock.pause()
    now[0] = 130.0
    assert clock.position() == pytest.approx(10.0)
    clock.seek(50.0)
    clock.play()
    now[0] = 150.0
    assert clock.position() == 60.0 and clock.ended


def test_store_keeps_sessions_and_calibration(tmp_path):
    path = tmp_path / "t.sqlite"
    store = TrainingStore(path)
    store.save_calibration("ana", 0.21, 0.05)
    store.set_apply_lateness("ana", True)
    for shift in (0.6, 0.2):
        entries = [LoggedEvent(e.id, e.type, e.t + shift) for e in TRUTH]
        store.add_session("ana", "m", {"trainee": score_log(list(TRUTH), entries)})
    store.close()
    again = TrainingStore(path)
    assert again.trainee("ana").lateness_s == 0.21 and again.trainee("ana").apply_lateness
    sessions = again.sessions("ana")
    assert [s.hits_500ms for s in sessions] == [0, len(TRUTH)] and again.sessions("bob") == []
    again.close()
