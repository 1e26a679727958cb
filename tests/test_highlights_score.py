"""The excitement score on a crowd bed the test writes: a long roar outranks a louder short burst, a roar
that answers a referee's whistle (a real whistle recording) counts less, and clips carry the pre/post-roll."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr

from core.highlights.excitement import WHISTLE_WEIGHT, measure
from core.highlights.moments import pick_moments

RATE = 16000
WHISTLE = "whistle/runswift/whistle_yes/whistle_1_metre.wav"


def _swell(env: np.ndarray, t0: float, dur: float, db: float) -> None:
    i0, i1, ramp = int(t0 * RATE), int((t0 + dur) * RATE), int(0.3 * RATE)
    gain = np.full(i1 - i0, 10 ** (db / 20))
    gain[:ramp] = np.linspace(1, gain[0], ramp)
    gain[-ramp:] = np.linspace(gain[0], 1, ramp)
    env[i0:i1] = np.maximum(env[i0:i1], gain)


@pytest.fixture(scope="module")
def crowd(shared_data, tmp_path_factory) -> Path:
    """120 s of crowd-like noise: a 0.6 s burst +15 dB at 30 s, 4 s roars +12 dB at 60 s and at 90 s,
    the second one right after a referee's whistle (which blows from about 89.1 to 89.5 s)."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal(120 * RATE) * 0.02
    env = np.ones(len(x))
    _swell(env, 30.0, 0.6, 15.0)
    _swell(env, 60.0, 4.0, 12.0)
    _swell(env, 90.0, 4.0, 12.0)
    x *= env
    whistle, rate = sf.read(shared_data / WHISTLE, dtype="float32")
    whistle = soxr.resample(whistle, rate, RATE)
    at = int(87.5 * RATE)
    x[at:at + len(whistle)] += whistle / np.sqrt(np.mean(whistle ** 2)) * 0.02
    path = tmp_path_factory.mktemp("score") / "crowd.wav"
    sf.write(path, x.astype(np.float32), RATE)
    return path


def test_a_long_roar_outranks_a_louder_short_burst_and_a_whistle_answer(crowd):
    excitement = measure(str(crowd))
    assert any(87.5 < w.end / RATE < 90.0 for w in excitement.whistles)  # the whistle was heard
    moments = pick_moments(excitement, 3, 5.0, 2.0)
    by_rank = sorted(moments, key=lambda m: m.rank)
    assert [round(m.peak_s / 30) * 30 for m in by_rank] == [60, 90, 30]
    assert [m.rank for m in moments] == [3, 1, 2]  # returned in time order
    first = by_rank[0]
    assert 59.0 <= first.start_s <= 60.5 and 63.5 <= first.end_s <= 66.0
    assert first.clip_start_s == pytest.approx(first.start_s - 5.0)
    assert first.clip_end_s == pytest.approx(first.end_s + 2.0)
    # the two roars are the same sound: the whistle context alone sets them apart
    assert by_rank[1].score == pytest.approx(WHISTLE_WEIGHT * first.score, rel=0.15)


def test_top_one_is_the_roar_and_clips_stay_inside_the_media(crowd):
    excitement = measure(str(crowd))
    (moment,) = pick_moments(excitement, 1, 100.0, 100.0)
    assert 60.0 <= moment.peak_s <= 65.0
    assert (moment.clip_start_s, moment.clip_end_s) == (0.0, pytest.approx(excitement.duration_s))
