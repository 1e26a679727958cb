"""Multi-feed alignment on feeds cut from one simulated match: offset, drift, order, jumps, bad feeds."""
from __future__ import annotations

import numpy as np
import pytest

from core.align import MultiAligner
from core.align.simulated import feed_audio, master_audio, whole_sample
from core.sim.match import build_match

RATE = 16_000
MASTER_S = 360.0
FEED_S = 300.0


@pytest.fixture(scope="module")
def match():
    return build_match(seed=5, minutes=6)


@pytest.fixture(scope="module")
def master(match) -> np.ndarray:
    return master_audio(match, seconds=MASTER_S, rate=RATE, seed=100)


def run(master: np.ndarray, feed: np.ndarray, block: int = RATE):
    """Stream both in ``block``-sample pieces, as live; every reading, then the final state."""
    aligner = MultiAligner(RATE)
    aligner.add_feed("feed")
    readings = []
    for i in range(0, max(len(master), len(feed)), block):
        aligner.push_master(master[i:i + block])
        aligner.push_feed("feed", feed[i:i + block])
        readings += aligner.poll()
    aligner.finish()
    readings += aligner.poll()
    return readings, aligner.current()[0]


@pytest.mark.parametrize("offset_s, drift_ppm", [(9.6173, 200.0), (-6.3021, -145.0), (0.4459, 0.0)])
def test_offset_and_drift_after_five_minutes(match, master, offset_s, drift_ppm):
    feed = feed_audio(match, offset_s=offset_s, drift_ppm=drift_ppm, seconds=FEED_S, rate=RATE, seed=7)
    readings, final = run(master, feed)
    truth = whole_sample(offset_s)
    print(f"offset error {1e3 * (final.offset_s - truth):+.3f} ms, drift error {final.drift_ppm - drift_ppm:+.3f} ppm,"
          f" confidence {final.confidence:.3f}")
    assert abs(final.offset_s - truth) <= 0.005
    assert abs(final.drift_ppm - drift_ppm) <= 5.0
    assert final.confidence >= 0.9
    assert not any(r.warning for r in readings)
    # live: every reading after the first minute already places the feed's current time within 5 ms
    for r in readings:
        if r.t_f >= 60.0:
            predicted = r.offset_s + r.t_f * (1 + r.drift_ppm * 1e-6)
            assert abs(predicted - (truth + r.t_f * (1 + drift_ppm * 1e-6))) <= 0.005, r


def test_order_does_not_matter(match, master):
    """B aligned to A is the inverse clock map of A aligned to B, within 1 ms everywhere."""
    offset_s, drift_ppm = 8.1234, 180.0
    feed = feed_audio(match, offset_s=offset_s, drift_ppm=drift_ppm, seconds=FEED_S, rate=RATE, seed=8)
    _, ab = run(master, feed)
    _, ba = run(feed, master)
    d_ab, d_ba = ab.drift_ppm * 1e-6, ba.drift_ppm * 1e-6
    # inverse of t_m = o + t_f (1 + d) is t_f = -o / (1 + d) + t_m / (1 + d)
    assert abs(ba.offset_s - (-ab.offset_s / (1 + d_ab))) <= 0.001
    assert abs((1 + d_ba) * (1 + d_ab) - 1) <= 1e-6
    for t_f in np.linspace(0.0, FEED_S, 7):
        t_m = ab.offset_s + t_f * (1 + d_ab)
        assert abs(ba.offset_s + t_m * (1 + d_ba) - t_f) <= 0.001
    # and with no drift the offsets are plain negatives
    feed0 = feed_audio(match, offset_s=3.3, drift_ppm=0.0, seconds=120.0, rate=RATE, seed=9)
    _, ab0 = run(master[:150 * RATE], feed0)
    _, ba0 = run(feed0, master[:150 * RATE])
    assert abs(ab0.offset_s + ba0.offset_s) <= 0.001


@pytest.mark.parametrize("step_s", [1.5, -0.040])
def test_offset_step_is_tracked_within_30_s(match, master, step_s):
    offset_s, drift_ppm, at = 4.25, 120.0, 150.0
    first = feed_audio(match, offset_s=offset_s, drift_ppm=drift_ppm, seconds=at, rate=RATE, seed=10)
    new_offset = whole_sample(offset_s + step_s)
    later = feed_audio(match, offset_s=new_offset + at * (1 + drift_ppm * 1e-6), drift_ppm=drift_ppm,
                       seconds=FEED_S - at, rate=RATE, seed=11)
    readings, final = run(master, np.concatenate([first, later]))
    warned = [r for r in readings if r.warning and "jumped" in r.warning]
    assert warned, "no jump warning"
    assert at - 10.0 <= warned[0].t_f <= at + 30.0
    tracked = [r for r in readings if r.t_f >= at + 30.0]
    assert tracked
    for r in tracked:
        assert abs(r.offset_s + at * (1 + r.drift_ppm * 1e-6) - (new_offset + at * (1 + drift_ppm * 1e-6))) <= 0.005, r
    assert abs(final.offset_s - new_offset) <= 0.005


def test_dropout_is_skipped_with_a_warning(match, master):
    offset_s, drift_ppm = -2.5, 90.0
    feed = feed_audio(match, offset_s=offset_s, drift_ppm=drift_ppm, seconds=FEED_S, rate=RATE, seed=12)
    feed[100 * RATE:102 * RATE] = 0.0
    aligner = MultiAligner(RATE)
    aligner.add_feed("feed")
    aligner.push_master(master)
    aligner.push_feed("feed", feed)
    aligner.finish()
    aligner.poll()
    f = aligner.feeds["feed"]
    final = f.current()
    assert any(a <= 100.05 and b >= 101.95 for a, b in f.silent_spans), f.silent_spans
    assert f.skipped > 0
    assert abs(final.offset_s - whole_sample(offset_s)) <= 0.005
    assert abs(final.drift_ppm - drift_ppm) <= 5.0
    assert not f.warnings  # the dropout did not look like a jump


def test_silent_feed_has_no_alignment(master):
    readings, final = run(master, np.zeros(120 * RATE, np.float32))
    assert final.offset_s is None and final.confidence == 0.0
    assert all(r.confidence == 0.0 for r in readings)


def test_unrelated_feed_is_never_confident(master):
    """The master played backwards has the same sound but nothing in common in time."""
    readings, final = run(master[:150 * RATE], master[::-1][:90 * RATE].copy())
    assert max(r.confidence for r in readings) < 0.3
    assert final.confidence < 0.3


def test_block_size_does_not_change_the_result(match, master):
    feed = feed_audio(match, offset_s=1.75, drift_ppm=60.0, seconds=60.0, rate=RATE, seed=13)
    _, a = run(master[:90 * RATE], feed, block=RATE)
    _, b = run(master[:90 * RATE], feed, block=4_999)
    assert (a.offset_s, a.drift_ppm, a.confidence) == (b.offset_s, b.drift_ppm, b.confidence)


def test_offset_beyond_the_search_range_is_not_guessed(match, master):
    """The simulated crowd bed is built of loops: beyond the range only their repeats match, several alike."""
    feed = feed_audio(match, offset_s=45.0, drift_ppm=50.0, seconds=90.0, rate=RATE, seed=14)
    readings, final = run(master, feed)
    assert final.offset_s is None and max(r.confidence for r in readings) < 0.3
    wide = MultiAligner(RATE, search_s=60.0)
    wide.push_master(master)
    wide.push_feed("feed", feed)
    wide.finish()
    wide.poll()
    found = wide.current()[0]
    assert abs(found.offset_s - whole_sample(45.0)) <= 0.005 and found.confidence >= 0.9
