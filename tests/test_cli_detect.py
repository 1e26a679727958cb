"""`matchsync detect` run as a real process: contract-shaped anchors, and bad input handled in one line."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf
import soxr

ROOT = Path(__file__).resolve().parents[1]
RATE = 48_000
WHISTLE_AT, CHEER_AT = 12.0, 28.0


def detect(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.main", "detect", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def load(path: Path) -> np.ndarray:
    x, rate = sf.read(path, dtype="float32", always_2d=True)
    return soxr.resample(x.mean(axis=1), rate, RATE)


def match_audio(shared_data: Path) -> np.ndarray:
    """45 s of applause bed, a referee whistle at 12 s and a loud cheer at 28 s."""
    bed = load(shared_data / "crowd/freesound/applause.wav")
    whistle = load(shared_data / "sfx/tuxfootball/refwhistleshort.wav")
    cheer = load(shared_data / "crowd/freesound/crowd_cheering.wav")
    y = np.resize(bed, 45 * RATE) * 0.05
    y[int(WHISTLE_AT * RATE) : int(WHISTLE_AT * RATE) + len(whistle)] += whistle * 0.5
    y[int(CHEER_AT * RATE) : int(CHEER_AT * RATE) + len(cheer)] += cheer * 0.8
    return y


@pytest.fixture(scope="module")
def match_wav(shared_data, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("match") / "match.wav"
    sf.write(path, match_audio(shared_data), RATE, subtype="PCM_16")
    return path


def encode_mp4(path: Path, y: np.ndarray) -> None:
    """Mono AAC in MP4 at RATE, written by PyAV's own encoder."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=RATE)
        stream.layout = "mono"
        for i in range(0, len(y), 1024):
            frame = av.AudioFrame.from_ndarray(y[None, i : i + 1024].astype(np.float32), format="fltp",
                                               layout="mono")
            frame.sample_rate, frame.pts = RATE, i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def read_anchors(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def check_contract(anchor: dict) -> None:
    if anchor["kind"] == "whistle":
        assert {"t", "t_end", "confidence", "freqs_hz"} <= anchor.keys()
        assert anchor["t"] < anchor["t_end"]
        assert anchor["freqs_hz"] and all(isinstance(f, float) for f in anchor["freqs_hz"])
    else:
        assert anchor["kind"] == "crowd_surge"
        assert {"t", "t_peak", "gain_lu", "confidence"} <= anchor.keys()
        assert anchor["t"] <= anchor["t_peak"]
        assert isinstance(anchor["gain_lu"], float)
    assert 0.0 <= anchor["confidence"] <= 1.0


def test_good_file_writes_contract_anchors_to_a_file_and_to_stdout(match_wav, tmp_path):
    out = tmp_path / "anchors.jsonl"
    run = detect(str(match_wav), "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert run.stdout == ""
    anchors = read_anchors(out.read_text())
    for anchor in anchors:
        check_contract(anchor)
    whistles = [a for a in anchors if a["kind"] == "whistle"]
    surges = [a for a in anchors if a["kind"] == "crowd_surge"]
    assert any(abs(a["t"] - WHISTLE_AT) < 0.1 for a in whistles), whistles
    assert any(abs(a["t"] - CHEER_AT) < 1.0 for a in surges), surges
    assert [a["t"] for a in anchors] == sorted(a["t"] for a in anchors)
    to_stdout = detect(str(match_wav), "--out", "-")
    assert to_stdout.returncode == 0 and to_stdout.stderr == ""
    assert read_anchors(to_stdout.stdout) == anchors


def test_explain_lists_kept_and_rejected_candidates_on_stderr(match_wav):
    run = detect(str(match_wav), "--out", "-", "--explain")
    assert run.returncode == 0
    kept = [line for line in run.stderr.splitlines() if line.startswith("KEPT")]
    assert len(kept) == len(read_anchors(run.stdout))
    assert "anchors" in run.stderr.splitlines()[-1]


def test_the_same_match_in_mp4_gives_the_same_whistle(shared_data, match_wav, tmp_path):
    y = match_audio(shared_data)
    path = tmp_path / "match.mp4"
    encode_mp4(path, y)
    from_wav = [a for a in read_anchors(detect(str(match_wav), "--out", "-").stdout) if a["kind"] == "whistle"]
    run = detect(str(path), "--out", "-")
    assert run.returncode == 0, run.stderr
    from_mp4 = [a for a in read_anchors(run.stdout) if a["kind"] == "whistle"]
    near = [a for a in from_mp4 if abs(a["t"] - WHISTLE_AT) < 0.1]
    assert near and abs(near[0]["t"] - next(a["t"] for a in from_wav if abs(a["t"] - WHISTLE_AT) < 0.1)) < 0.01


def bad_file(kind: str, folder: Path, good: Path) -> Path:
    """One kind of bad input, written into ``folder``."""
    path = folder / {"missing": "nowhere.wav", "empty": "empty.wav", "text": "notes.txt",
                     "corrupt": "corrupt.wav", "truncated": "truncated.wav", "damaged": "damaged.mp4",
                     "no samples": "header_only.wav"}[kind]
    data = good.read_bytes()
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("ev-0001 kickoff 19:45:00\nev-0002 foul 19:46:13\n" * 50)
    elif kind == "corrupt":
        path.write_bytes(b"\x00\x17\xff\x42" * 4 + data[16:])
    elif kind == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif kind == "no samples":
        sf.write(path, np.zeros(0, np.float32), RATE)
    elif kind == "damaged":  # an MP4 whose audio data is overwritten with garbage in the middle
        encode_mp4(path, load(good) * 0.5)
        damaged = bytearray(path.read_bytes())
        damaged[len(damaged) // 2 : len(damaged) // 2 + 20_000] = bytes(range(256)) * 78 + bytes(32)
        path.write_bytes(bytes(damaged))
    return path


@pytest.mark.parametrize("kind,problem", [
    ("missing", "file not found"), ("empty", "empty file"), ("text", "not a media file"),
    ("corrupt", "header is corrupt"), ("truncated", "truncated"), ("damaged", "corrupt"),
    ("no samples", "no audio samples"),
])
def test_bad_input_is_one_line_exit_2(kind, problem, match_wav, tmp_path):
    path = bad_file(kind, tmp_path, match_wav)
    out = tmp_path / "anchors.jsonl"
    run = detect(str(path), "--out", str(out))
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert str(path) in lines[0] and problem in lines[0]
    assert "Traceback" not in run.stderr and run.stdout == ""
    assert not out.exists()


def test_missing_output_folder_is_bad_input(match_wav, tmp_path):
    run = detect(str(match_wav), "--out", str(tmp_path / "no" / "such" / "anchors.jsonl"))
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1
    assert "output folder does not exist" in run.stderr


def test_all_silent_file_exits_0_with_no_anchors(tmp_path):
    path = tmp_path / "silence.wav"
    sf.write(path, np.zeros(30 * RATE, np.float32), RATE, subtype="PCM_16")
    run = detect(str(path), "--out", "-")
    assert run.returncode == 0 and run.stderr == ""
    assert read_anchors(run.stdout) == []


def test_clipped_crowd_gives_no_whistles(shared_data, tmp_path):
    """Real crowd recordings driven 30 dB into hard clipping: harmonics everywhere, still no whistle."""
    crowd = np.concatenate([load(shared_data / "crowd/freesound/crowd_cheering.wav"),
                            load(shared_data / "crowd/freesound/applause.wav")])
    clipped = np.clip(crowd * 30.0, -1.0, 1.0)
    assert np.mean(np.abs(clipped) == 1.0) > 0.2
    path = tmp_path / "clipped.wav"
    sf.write(path, clipped, RATE, subtype="PCM_16")
    run = detect(str(path), "--out", "-")
    assert run.returncode == 0, run.stderr
    assert [a for a in read_anchors(run.stdout) if a["kind"] == "whistle"] == []
