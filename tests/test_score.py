"""`matchsync score`: the contract's figures, honest on raw logged times, robust to bad lines."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.sim.match import build_match
from core.sim.writer import write_events

ROOT = Path(__file__).resolve().parents[1]


def score(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.main", "score", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def write_lines(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize("seed", [1, 3])
def test_raw_logged_times_reflect_the_logger_offset(tmp_path, seed):
    """Seed 3's logger clock is 6.4 s behind; seed 1's only 0.4 s (success then comes from lateness alone)."""
    match = build_match(seed, 12.0)
    offset = match.meta["logger"]["offset_s"]
    write_events(tmp_path / "truth.jsonl", match.truth)
    write_events(tmp_path / "logged.jsonl", match.logged)
    done = score("--truth", str(tmp_path / "truth.jsonl"), "--corrected", str(tmp_path / "logged.jsonl"), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    overall = report["overall"]
    missed = set(match.meta["logger"]["mistakes"]["missed"])
    assert overall["n"] == len(match.truth) - len(missed)
    assert report["no_logged"]["ids"] == sorted(missed)
    assert report["no_truth"]["ids"] == sorted(d["id"] for d in match.meta["logger"]["mistakes"]["duplicates"])
    medians = [m["median_s"] for m in match.meta["logger"]["lateness"].values()]
    # the raw error is the offset plus the logger's lateness: never flattering
    assert min(medians) - 1.0 < overall["mean_signed_s"] - offset < max(medians) + 1.0
    if abs(offset) > 1.0:
        assert overall["success_1000ms"] <= 0.1, (offset, overall)
    assert (overall["spoiler_rate"] > 0.9) == (offset < -5.0)


def test_figures_match_known_errors(tmp_path):
    rng = np.random.default_rng(7)
    types = ["foul", "goal", "throw_in", "corner"]
    truth, corrected, errors = [], [], {}
    for i in range(200):
        kind = types[i % 4]
        t = 10.0 + 7.0 * i
        err = float(rng.normal(0.2, 0.6))
        truth.append({"id": f"e{i}", "type": kind, "t": t})
        corrected.append({"id": f"e{i}", "type": kind, "t_logged": t + 3, "t": t + err, "confidence": 0.5,
                          "basis": "clock", "anchor_t": None})
        errors.setdefault(kind, []).append(err)
    write_lines(tmp_path / "t.jsonl", truth)
    write_lines(tmp_path / "c.jsonl", corrected)
    report = json.loads(score("--truth", str(tmp_path / "t.jsonl"), "--corrected", str(tmp_path / "c.jsonl"),
                              "--json").stdout)
    every = np.concatenate([errors[k] for k in types])
    for stats, e in [(report["overall"], every)] + [(report["per_type"][k], np.asarray(errors[k])) for k in types]:
        assert stats["n"] == len(e)
        for ms in (250, 500, 1000):
            assert stats[f"success_{ms}ms"] == pytest.approx(np.mean(np.abs(e) <= ms / 1000), abs=1e-4)
        assert stats["median_abs_s"] == pytest.approx(np.median(np.abs(e)), abs=1e-4)
        assert stats["p95_abs_s"] == pytest.approx(np.percentile(np.abs(e), 95), abs=1e-4)
        assert stats["mean_signed_s"] == pytest.approx(np.mean(e), abs=1e-4)
        assert stats["spoiler_rate"] == pytest.approx(np.mean(e < -0.5), abs=1e-4)
    assert 0 < report["overall"]["spoiler_rate"] < 0.2


def test_spoiler_boundary_and_table(tmp_path):
    truth = [{"id": f"e{i}", "type": "goal", "t": 100.0 * (i + 1)} for i in range(4)]
    shifts = [-0.6, -0.4, 0.0, 2.0]
    corrected = [dict(e, t=e["t"] + s) for e, s in zip(truth, shifts)]
    write_lines(tmp_path / "t.jsonl", truth)
    write_lines(tmp_path / "c.jsonl", corrected)
    report = json.loads(score("--truth", str(tmp_path / "t.jsonl"), "--corrected", str(tmp_path / "c.jsonl"),
                              "--json").stdout)
    assert report["per_type"]["goal"]["spoiler_rate"] == 0.25
    table = score("--truth", str(tmp_path / "t.jsonl"), "--corrected", str(tmp_path / "c.jsonl")).stdout
    assert "spoiler" in table and "25.0%" in table and "goal" in table


def test_bad_lines_are_counted_and_named(tmp_path):
    truth = write_lines(tmp_path / "truth.jsonl", [
        {"id": "a", "type": "foul", "t": 10.0},
        {"id": "b", "type": "goal", "t": 20.0},
        "{not json",
        {"id": "c", "type": "fowl", "t": 30.0},
        {"id": "a", "type": "foul", "t": 11.0},
        {"id": "d", "type": "corner", "t": 40.0},
        {"id": "e", "type": "corner"},
        "[1, 2]",
    ])
    corrected = tmp_path / "corrected.jsonl"
    corrected.write_bytes(b'{"id": "a", "type": "foul", "t": 10.1}\n{"id": "b", "type": "shot", "t": 21.5}\n'
                          b'\xff\xfe garbage\n{"id": "x", "type": "foul", "t": 5.0}\n'
                          b'{"id": "b", "type": "goal", "t": 99}\n{"id": "q", "type": "offsidee", "t": 1}\n\n')
    done = score("--truth", str(truth), "--corrected", str(corrected), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    tp, cp = report["input_problems"]["truth"], report["input_problems"]["corrected"]
    assert tp["count"] == 5 and tp["by_kind"] == {"malformed": 2, "unknown_type": 1, "duplicate_id": 1,
                                                  "missing_field": 1}
    assert cp["count"] == 3 and cp["by_kind"] == {"malformed": 1, "duplicate_id": 1, "unknown_type": 1}
    assert any(p["line"] == 4 and "fowl" in p["problem"] for p in tp["lines"])
    assert report["overall"]["n"] == 2
    assert report["no_truth"]["ids"] == ["x"] and report["no_logged"]["ids"] == ["d"]
    assert report["wrong_type"]["events"] == [{"id": "b", "truth": "goal", "corrected": "shot"}]
    table = score("--truth", str(truth), "--corrected", str(corrected)).stdout
    assert "unknown type 'fowl'" in table and "duplicate id 'a'" in table and "not UTF-8" in table


@pytest.mark.parametrize("make", ["missing", "folder"])
def test_unreadable_file_exits_2_with_one_line(tmp_path, make):
    truth = write_lines(tmp_path / "t.jsonl", [{"id": "a", "type": "foul", "t": 1.0}])
    target = tmp_path / "nope.jsonl"
    if make == "folder":
        target.mkdir()
    done = score("--truth", str(truth), "--corrected", str(target))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "nope.jsonl" in lines[0] and "Traceback" not in done.stderr
