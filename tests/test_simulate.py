"""The match simulator: reproducible files, real-football statistics, exact whistle onsets, the logger model."""
from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from core.sim.logger import draw_logger, log_match
from core.sim.match import build_match, render_audio
from core.sim.onsets import SIM_RATE, whistle_spans
from core.sim.sources import BUNDLED, _bundled_library
from core.sim.timeline import PER_90, build_timeline

ROOT = Path(__file__).resolve().parents[1]
SEEDS = range(20)


def simulate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.main", "simulate", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def rng(seed: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(seed))


def test_same_seed_gives_byte_identical_files(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for out, seed in ((a, "11"), (b, "11"), (c, "12")):
        done = simulate("--seed", seed, "--minutes", "3", "--out", str(out))
        assert done.returncode == 0, done.stderr
    names = ("match.wav", "truth.jsonl", "logged.jsonl", "meta.json")
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "match.wav").read_bytes() != (c / "match.wav").read_bytes()
    info = sf.info(str(a / "match.wav"))
    assert (info.samplerate, info.channels, info.subtype) == (48000, 1, "PCM_16")
    assert abs(info.duration - 180.0) < 1e-6
    truth = [json.loads(line) for line in (a / "truth.jsonl").read_text().splitlines()]
    logged = [json.loads(line) for line in (a / "logged.jsonl").read_text().splitlines()]
    assert len({e["id"] for e in truth}) == len(truth) and {"kickoff", "half_time", "full_time"} <= {e["type"] for e in truth}
    assert all(set(e) >= {"id", "type", "t"} for e in truth + logged)
    meta = json.loads((a / "meta.json").read_text())
    assert {"offset_s", "drift_ppm", "lateness"} <= set(meta["logger"])


def test_statistics_per_90_minutes_over_20_seeds():
    goals = []
    for seed in SEEDS:
        tl = build_timeline(rng(seed), 90.0)
        counts = Counter(a.type for a in tl.actions)
        for kind in ("foul", "offside", "corner", "throw_in", "goal_kick", "substitution"):
            lo, hi = PER_90[kind]
            assert lo <= counts[kind] <= hi, (seed, kind, counts[kind])
        assert 3 <= counts["yellow_card"] + counts["red_card"] <= 4, seed
        assert counts["half_time"] == counts["full_time"] == 1
        assert counts["free_kick"] == counts["foul"] + counts["offside"]
        assert counts["kickoff"] == 2 + counts["goal"]
        goals.append(counts["goal"])
        by_id = {a.id: a for a in tl.actions}
        kickoffs = sorted(a.n for a in tl.actions if a.type == "kickoff")
        for roar in (c for c in tl.cues if c.kind == "roar"):
            goal = by_id[roar.event_id]
            assert 0.2 * SIM_RATE <= roar.n - goal.n <= 1.0 * SIM_RATE
            assert any(40 * SIM_RATE <= k - goal.n <= 80 * SIM_RATE for k in kickoffs), (seed, goal.id)
        fouls = [a.n for a in tl.actions if a.type == "foul"]
        for card in (a for a in tl.actions if a.type.endswith("_card")):
            assert any(6 * SIM_RATE <= card.n - f <= 20 * SIM_RATE for f in fouls), (seed, card.id)
        blasts = sorted(c.n for c in tl.cues if c.kind == "blast")
        assert min(np.diff(blasts)) > 3 * SIM_RATE
    assert 2.0 <= np.mean(goals) <= 3.0, goals


def test_logger_model_rates_and_clock():
    actions, missed, early, dups, wrong, offsets = 0, 0, 0, 0, 0, []
    for seed in SEEDS:
        tl = build_timeline(rng(seed), 90.0)
        model = draw_logger(rng(1000 + seed))
        out = log_match(rng(2000 + seed), model, tl.actions)
        assert abs(model.offset_s) <= 8.0 and abs(model.drift_ppm) <= 150.0
        assert all(1.5 <= median <= 4.0 for median, _ in model.lateness.values())
        actions += len(tl.actions)
        missed += len(out.mistakes["missed"])
        early += len(out.mistakes["early"])
        dups += len(out.mistakes["duplicates"])
        wrong += len(out.mistakes["wrong_type"])
        truth = {a.id: a for a in tl.actions}
        assert not {e.id for e in out.events if not e.id.startswith("dup-")} - set(truth)
        early_ids = set(out.mistakes["early"])
        for e in out.events:
            if e.id in truth:
                media = (e.t - model.offset_s) / (1 + model.drift_ppm * 1e-6)
                late = media - truth[e.id].n / SIM_RATE
                assert (late < 0) == (e.id in early_ids), (seed, e.id, late)
        offsets.append(model.offset_s)
    assert 0.01 <= missed / actions <= 0.03
    assert 0.02 <= early / actions <= 0.045
    assert 0.003 <= dups / actions <= 0.02 and 0.003 <= wrong / actions <= 0.02
    assert max(offsets) > 4 and min(offsets) < -4


@pytest.mark.parametrize("bundled", [False, True], ids=["shared-data", "bundled-clips"])
def test_whistle_onsets_land_on_truth_samples(bundled):
    """Independent check in the mixed audio: the whistle band is quiet before each blast's truth sample."""
    match = build_match(5, 4.0, _bundled_library() if bundled else None)
    assert match.meta["sources"]["origin"] == ("bundled" if bundled else "shared")
    whistled = {e.id: e.t for e in match.truth if e.type in ("kickoff", "foul", "offside", "half_time", "full_time",
                                                             "penalty_awarded")}
    firsts = {}
    for b in match.meta["whistle_blasts"]:
        firsts.setdefault(b["event_id"], b["t"])
    assert firsts == whistled
    starts = {p.start for p in match.mixer.placements if p.kind == "referee_whistle"}
    errors = []
    for b in match.meta["whistle_blasts"]:
        n = round(b["t"] * SIM_RATE)
        assert n == b["t"] * SIM_RATE and n in starts
        audio = render_audio(match, n - SIM_RATE // 2, SIM_RATE)
        spans = whistle_spans(audio)
        assert spans, b
        errors.append(min((s.onset - SIM_RATE // 2 for s in spans), key=abs) / SIM_RATE)
    # measured again in the mix (crowd and all): a slow rise under the crowd can read a little late
    assert np.median(np.abs(errors)) <= 0.010 and max(np.abs(errors)) <= 0.050, errors


def test_bundled_sources_serve_a_fresh_machine():
    lib = _bundled_library()
    assert len(lib.whistles) >= 8 and lib.long_whistles and lib.crowd_beds and lib.roars
    assert all(2000 <= c.freq_hz <= 4500 for c in lib.whistles)
    for licence in ("runswift/LICENSE.txt", "naodevils/LICENSE-MIT-NaoDevils.txt"):
        assert (BUNDLED / licence).is_file()
    text = (BUNDLED / "runswift" / "LICENSE.txt").read_text()
    assert "UNSW" in text
    assert sum(p.stat().st_size for p in BUNDLED.rglob("*") if p.is_file()) < 6_000_000


@pytest.mark.parametrize("args, problem", [(("--minutes", "0"), "--minutes"), (("--seed", "-3"), "--seed")])
def test_bad_arguments_give_one_line_and_exit_2(tmp_path, args, problem):
    base = {"--seed": "1", "--minutes": "3"}
    base.update(dict(zip(args[::2], args[1::2])))
    done = simulate(*[x for kv in base.items() for x in kv], "--out", str(tmp_path / "m"))
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and problem in done.stderr


def test_output_path_that_is_a_file(tmp_path):
    target = tmp_path / "taken"
    target.write_text("x")
    done = simulate("--seed", "1", "--minutes", "1", "--out", str(target))
    assert done.returncode == 2 and "taken" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_full_90_minute_match():
    """A whole match through the same API `simulate` writes from (its timing is in benchmarks/detect_accuracy.py)."""
    match = build_match(3, 90.0)
    assert match.samples == 90 * 60 * SIM_RATE
    counts = Counter(e.type for e in match.truth)
    assert PER_90["foul"][0] <= counts["foul"] <= PER_90["foul"][1]
    assert len(match.meta["goal_roars"]) == counts["goal"]
    assert len(match.meta["whistle_blasts"]) == sum(counts[k] for k in ("kickoff", "foul", "offside",
                                                                          "penalty_awarded")) + 2 + 3
    assert sum(d["whistle_like"] for d in match.meta["distractors"]) >= 10
    # the crowd baseline rises: the median 1-second level of the last 10 minutes is 4-8 dB above the first 10
    levels = []
    for start in (60, 4740):
        block = render_audio(match, start * SIM_RATE, 600 * SIM_RATE).reshape(600, SIM_RATE)
        levels.append(np.median(10 * np.log10(np.mean(block.astype(np.float64) ** 2, axis=1))))
    assert 4.0 <= levels[1] - levels[0] <= 8.0, levels
    tail = render_audio(match, match.samples - SIM_RATE, 2 * SIM_RATE)
    assert len(tail) == SIM_RATE and np.abs(tail).max() <= 1.0


def test_demo_feed_arrivals_follow_the_truth():
    """The console's demo releases logged entries at their typing time: after the action unless typed early."""
    match = build_match(6, 6.0)
    truth = {e.id: e.t for e in match.truth}
    early = set(match.meta["logger"]["mistakes"]["early"])
    arrivals = match.arrivals()
    assert [t for t, _ in arrivals] == sorted(t for t, _ in arrivals)
    assert len(arrivals) == len(match.logged)
    for media_s, event in arrivals:
        if event.id in truth:
            late = media_s - truth[event.id]
            assert (late < 0) == (event.id in early) and -2.6 < late < 30.0, (event, late)
