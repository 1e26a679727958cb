"""`matchsync train`: bad match or reference files give one clear line naming them (exit 2); a video
file's frames reach the training material through PyAV."""
from __future__ import annotations

import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from core.model import LoggedEvent
from core.sim.video import PitchVideo
from core.training.material import load_match

ROOT = Path(__file__).resolve().parents[1]


def run_train(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.main", "train", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("files")
    (d / "truth.jsonl").write_text('{"id": "e1", "type": "foul", "t": 1.5}\n')
    (d / "garbage.jsonl").write_text("not json\n")
    (d / "noise.wav").write_bytes(b"RIFF....WAVEfmt nonsense")
    return d


@pytest.mark.parametrize("case", ["missing media", "missing reference", "unreadable media", "unreadable reference"])
def test_bad_files_are_named_on_one_line(files, case):
    media = {"missing media": files / "nope.mp4", "unreadable media": files / "noise.wav"}.get(case, None)
    reference = {"missing reference": files / "nope.jsonl", "unreadable reference": files / "garbage.jsonl"}.get(
        case, files / "truth.jsonl")
    media = media or files / "noise.wav"
    if case == "unreadable reference":  # a good reference is checked first; give a good media file for this one
        media = files / "truth.jsonl"
    out = run_train("--match", str(media), "--reference", str(reference), "--trainee", "t")
    named = media if "media" in case else reference
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"matchsync train: {named}:"), out.stderr
    assert "Traceback" not in out.stderr


def test_video_frames_come_through_pyav(tmp_path):
    truth = (LoggedEvent("e1", "corner", 1.0), LoggedEvent("e2", "goal", 3.0))
    video = PitchVideo(truth, 4.0, 320, 208)
    path = tmp_path / "match.mp4"
    with av.open(str(path), "w") as out:
        vs = out.add_stream("mpeg4", rate=10)
        vs.width, vs.height, vs.pix_fmt, vs.bit_rate = 320, 208, "yuv420p", 4_000_000
        aus = out.add_stream("aac", rate=16000)
        aus.layout = "mono"
        for i in range(40):
            frame = av.VideoFrame.from_ndarray(video.frame(i / 10), format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, 10)
            out.mux(vs.encode(frame))
        out.mux(vs.encode())
        tone = (0.2 * np.sin(2 * np.pi * 440 * np.arange(64000) / 16000)).astype(np.float32)
        for k in range(0, 64000, 1024):
            af = av.AudioFrame.from_ndarray(tone[None, k:k + 1024], format="flt", layout="mono")
            af.sample_rate, af.pts = 16000, k
            out.mux(aus.encode(af))
        out.mux(aus.encode())
    material = load_match(str(path), str(_truth_file(tmp_path, truth)))
    assert material.video is not None and material.duration_s == pytest.approx(4.0, abs=0.1)
    for t in (2.05, 0.55, 3.35):  # forward, back (a seek), forward
        got = material.video.frame(t).astype(float)
        assert got.shape == (208, 320, 3)
        nearest = min(range(40), key=lambda i: np.abs(got - video.frame(i / 10)).mean())
        assert nearest == int(t * 10)  # the frame on screen at t


def _truth_file(folder: Path, truth) -> Path:
    path = folder / "truth.jsonl"
    path.write_text("".join(f'{{"id": "{e.id}", "type": "{e.type}", "t": {e.t}}}\n' for e in truth))
    return path
