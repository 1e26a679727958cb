"""Whistle detector on the real field recordings: recall, hard negatives, degenerate signals, block sizes."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from tests.whistle_mixing import (CROWD_FILES, HARD_NEGATIVE_EXCLUDE, RATE, TUX_WHISTLES, anchors, detect_whistles,
                                  detect_whistles_in_file, read_mono, reference_onset)


def test_runswift_whistles_found_in_at_least_27_of_29_clips(shared_data):
    clips = sorted((shared_data / "whistle/runswift/whistle_yes").glob("*.wav"))
    assert len(clips) == 29
    missed = [p.name for p in clips if not anchors(detect_whistles_in_file(p))]
    assert len(clips) - len(missed) >= 27, missed


def test_runswift_whistles_are_found_near_the_clip_end(shared_data):
    """The clips are the 2 s before a robot heard a whistle: its onset sits after 1.4 s."""
    for path in sorted((shared_data / "whistle/runswift/whistle_yes").glob("*.wav")):
        for a in anchors(detect_whistles_in_file(path)):
            assert 0.0 <= a.confidence <= 1.0
            assert 1800 <= a.freqs_hz[0] <= 4500
            assert a.end > a.start


@pytest.mark.parametrize("name", TUX_WHISTLES)
def test_tux_referee_whistles_detected(shared_data, name):
    found = anchors(detect_whistles_in_file(shared_data / "sfx/tuxfootball" / name))
    assert found, name
    if name == "refwhistletwice.wav":
        assert len(found) == 2
        assert found[1].start - found[0].start > 0.08 * RATE


def _hard_negatives(data):
    clips = sorted((data / "whistle/runswift/whistle_no").glob("*.wav"))
    return [p for p in clips if not any(k in p.name for k in HARD_NEGATIVE_EXCLUDE)]


def test_no_whistles_in_hard_negatives_and_crowds(shared_data):
    paths = _hard_negatives(shared_data) + [shared_data / n for n in CROWD_FILES]
    assert len(paths) >= 16
    false = {p.name: [a.start / RATE for a in anchors(detect_whistles_in_file(p))] for p in paths}
    assert not any(false.values()), {k: v for k, v in false.items() if v}


def test_candidates_in_hard_negatives_are_rejected_with_reasons(shared_data):
    reasons = set()
    for path in _hard_negatives(shared_data):
        reasons |= {r.reason.split(" (")[0] for r in detect_whistles_in_file(path)}
    assert {"too short", "not tonal enough"} <= reasons


def test_silence_and_clipped_signals_give_no_whistles(shared_data):
    silent = np.zeros(10 * RATE, np.float32)
    loud_crowd = np.clip(read_mono(shared_data / CROWD_FILES[0]) * 50, -1, 1)
    rng = np.random.default_rng(1)
    clipped_noise = np.sign(rng.standard_normal(5 * RATE)).astype(np.float32)
    t = np.arange(5 * RATE) / RATE
    clipped_tone = np.sign(np.sin(2 * np.pi * 2600 * t)).astype(np.float32)
    for signal in (silent, loud_crowd, clipped_noise, clipped_tone):
        assert anchors(detect_whistles(signal)) == []


def test_block_sizes_give_identical_results(shared_data):
    samples = np.concatenate([read_mono(shared_data / "sfx/tuxfootball/refwhistletwice.wav"),
                              read_mono(shared_data / "whistle/runswift/whistle_yes/whistle_1_metre.wav")])
    results = [detect_whistles(samples, block) for block in (1, 37, RATE)]
    assert anchors(results[0])
    assert results[0] == results[1] == results[2]


@pytest.mark.parametrize("keep_s", [0.1, 0.15, 0.2])
def test_whistle_cut_off_by_the_end_of_the_file_is_found(shared_data, tmp_path, keep_s):
    """A blast that lasts only 0.1-0.2 s before the file ends is still detected, at the right onset."""
    name = "whistle_3_metres_robot_on_circle_coach_middle_edge_of_field.wav"
    clip = read_mono(shared_data / "whistle/runswift/whistle_yes" / name)
    onset, _, clear = reference_onset(clip.astype(np.float64))
    assert clear
    path = tmp_path / "cut.wav"
    sf.write(path, clip[:onset + int(keep_s * RATE)], RATE)
    found = anchors(detect_whistles_in_file(path))
    assert len(found) == 1
    assert abs(found[0].start - onset) <= 0.03 * RATE


SIM_PLACED = [("whistle/naodevils/Demo.wav", 0.98, 0.2, 3), ("whistle/naodevils/Demo.wav", 0.98, 0.65, 3),
              ("whistle/runswift/whistle_yes/whistle_2017_07_27_083900_rapidash_close.wav", 1.0161, 0.197, 4),
              ("whistle/runswift/whistle_yes/whistle_2017_07_16_064439_han.wav", 1.0199, 0.512, 4)]


@pytest.mark.parametrize("name,pitch,distance,reverb_seed", SIM_PLACED)
def test_whistles_placed_as_the_simulator_does_are_found(shared_data, tmp_path, name, pitch, distance, reverb_seed):
    """The NaoDevils whistle jumps between ~3.1 and ~3.47 kHz (smearing its mean spectrum) and close rUNSWift
    whistles rattle into a comb of partials. Pitched, placed at a distance and mixed over the simulator's
    crowd bed exactly as core.sim places a referee blast (12 - 14 * distance dB over the bed RMS), each is
    found within 100 ms of its cut onset, and nothing else is."""
    from core.sim.crowd import build_bed
    from core.sim.effects import db, place_far, repitch
    from core.sim.onsets import SIM_RATE
    from core.sim.sounds import unit
    from core.sim.sources import cut_whistles, library, load_mono
    studio = "naodevils" in name
    clip = cut_whistles(name, load_mono(shared_data / name), studio)[0 if studio else -1]
    sound = place_far(unit(repitch(clip.samples, pitch)), np.random.default_rng(reverb_seed), distance)
    bed = build_bed(np.random.default_rng(5), library())
    at = 600 * SIM_RATE
    audio = bed.render(at - 2 * SIM_RATE, 4 * SIM_RATE)
    sound = sound[:2 * SIM_RATE]
    audio[2 * SIM_RATE:2 * SIM_RATE + len(sound)] += sound * np.float32(bed.rms_at(at) * db(12.0 - 14.0 * distance))
    path = tmp_path / "placed.wav"
    sf.write(path, audio, SIM_RATE)
    found = anchors(detect_whistles_in_file(path))
    assert [abs(a.start / RATE - 2.0) <= 0.1 for a in found] == [True], [a.start / RATE for a in found]
