"""`matchsync highlights` as a real process on a simulated match: every goal in a clip, markers for every
approved event, OTIO and EDL read back with OpenTimelineIO's own reader, bad input exits 2."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import opentimelineio as otio
import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = range(3, 13)
"""Seeds tried in order until the simulated timeline holds a goal (seed 3 does, today)."""


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.main", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def match(tmp_path_factory) -> Path:
    """A 10-minute simulated match with at least one goal, and its corrected events from `sync`."""
    base = tmp_path_factory.mktemp("highlights")
    for seed in SEEDS:
        out = base / f"seed{seed}"
        done = _run("simulate", "--seed", str(seed), "--minutes", "10", "--out", str(out))
        assert done.returncode == 0, done.stderr
        if any(r["type"] == "goal" for r in _rows(out / "truth.jsonl")):
            break
    else:
        pytest.fail(f"no simulated match with a goal among seeds {SEEDS}")
    done = _run("sync", str(out / "match.wav"), "--events", str(out / "logged.jsonl"),
                "--out", str(out / "corrected.jsonl"))
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="module")
def exported(match) -> dict[str, otio.schema.Timeline]:
    """The highlights written as .otio and .edl, read back with OpenTimelineIO's reader."""
    timelines = {}
    for suffix in ("otio", "edl"):
        path = match / f"highlights.{suffix}"
        done = _run("highlights", str(match / "match.wav"), "--events", str(match / "corrected.jsonl"),
                    "--out", str(path), "--top", "5", "--pre", "8", "--post", "4")
        assert done.returncode == 0, done.stderr
        # an EDL does not say its frame rate: the reader is told the one it was written at (25)
        options = {"rate": 25} if suffix == "edl" else {}
        timelines[suffix] = otio.adapters.read_from_file(str(path), **options)
    return timelines


def _clip_ranges(timeline: otio.schema.Timeline) -> list[tuple[float, float]]:
    track = timeline.video_tracks()[0]
    return [(c.source_range.start_time.to_seconds(), c.source_range.end_time_exclusive().to_seconds())
            for c in track.find_clips()]


@pytest.mark.parametrize("suffix", ["otio", "edl"])
def test_every_goal_lies_in_a_highlight_clip(match, exported, suffix):
    goals = [r["t"] for r in _rows(match / "truth.jsonl") if r["type"] == "goal"]
    clips = _clip_ranges(exported[suffix])
    assert len(clips) == 5
    assert all(b - a >= 12.0 for a, b in clips)  # at least pre + post roll
    assert all(prev[1] <= nxt[0] for prev, nxt in zip(clips, clips[1:]))  # in time order, no overlap
    for goal in goals:
        assert any(a <= goal <= b for a, b in clips), f"goal at {goal:.1f} s not in {clips}"


def test_otio_clips_reference_the_media_and_every_approved_event_is_a_marker(match, exported):
    timeline = exported["otio"]
    highlights, whole = timeline.video_tracks()
    assert (highlights.name, whole.name) == ("Highlights", "Match")
    target = (match / "match.wav").resolve().as_uri()
    assert all(c.media_reference.target_url == target for c in timeline.find_clips())
    events = _rows(match / "corrected.jsonl")
    (match_clip,) = whole.find_clips()
    assert match_clip.source_range.duration.to_seconds() == pytest.approx(600.0, abs=0.05)
    marked = {m.metadata["matchsync"]["id"]: m for m in match_clip.markers}
    assert set(marked) == {e["id"] for e in events}
    for e in events:
        m = marked[e["id"]]
        assert m.marked_range.start_time.to_seconds() == pytest.approx(e["t"], abs=0.04)
        assert m.metadata["matchsync"]["type"] == e["type"]
    for clip in highlights.find_clips():
        a, b = clip.source_range.start_time.to_seconds(), clip.source_range.end_time_exclusive().to_seconds()
        inside = {e["id"] for e in events if a <= e["t"] < b}
        assert {m.metadata["matchsync"]["id"] for m in clip.markers} == inside


def test_edl_carries_clip_markers_for_the_events_inside_each_clip(match, exported):
    events = _rows(match / "corrected.jsonl")
    clips = exported["edl"].video_tracks()[0].find_clips()
    found = 0
    for clip in clips:
        a, b = clip.source_range.start_time.to_seconds(), clip.source_range.end_time_exclusive().to_seconds()
        want = sorted(f"{e['type']} {e['id']}".upper() for e in events if a <= e["t"] < b)
        assert sorted(m.name for m in clip.markers) == want
        found += len(want)
    assert found >= 1  # the goal at least


def test_top_n_pre_and_post_roll_shape_the_clips(match, tmp_path):
    path = tmp_path / "two.otio"
    done = _run("highlights", str(match / "match.wav"), "--events", str(match / "corrected.jsonl"),
                "--out", str(path), "--top", "2", "--pre", "3", "--post", "1")
    assert done.returncode == 0, done.stderr
    clips = otio.adapters.read_from_file(str(path)).video_tracks()[0].find_clips()
    assert len(clips) == 2
    for clip in clips:
        info = clip.metadata["matchsync"]
        assert clip.source_range.start_time.to_seconds() == pytest.approx(info["start_s"] - 3, abs=0.05)
        assert clip.source_range.end_time_exclusive().to_seconds() == pytest.approx(info["end_s"] + 1, abs=0.05)


@pytest.mark.parametrize("problem", ["missing_events", "bad_line", "bad_extension", "missing_audio", "bad_top"])
def test_bad_input_exits_2_with_one_line(match, tmp_path, problem):
    audio, events, out = str(match / "match.wav"), str(match / "corrected.jsonl"), str(tmp_path / "h.otio")
    extra: list[str] = []
    if problem == "missing_events":
        events = str(tmp_path / "nope.jsonl")
    elif problem == "bad_line":
        bad = tmp_path / "bad.jsonl"
        bad.write_text((match / "corrected.jsonl").read_text() + '{"id": "x", "type": "goal", "t": "soon"}\n')
        events = str(bad)
    elif problem == "bad_extension":
        out = str(tmp_path / "h.mov")
    elif problem == "missing_audio":
        audio = str(tmp_path / "nope.wav")
    else:
        extra = ["--top", "0"]
    done = _run("highlights", audio, "--events", events, "--out", out, *extra)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("matchsync highlights: "), done.stderr
    assert "Traceback" not in done.stderr and not Path(out).exists()
    if problem == "bad_line":
        assert "bad.jsonl: line" in lines[0] and "soon" in lines[0]
