"""`matchsync align` run as a real process on media files: contract lines, rates that differ, bad feeds."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from core.align.simulated import feed_audio, master_audio, whole_sample
from core.sim.match import build_match

ROOT = Path(__file__).resolve().parents[1]


def align(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.main", "align", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("feeds")
    match = build_match(seed=2, minutes=3)
    paths = {"master": folder / "master.wav", "cam2": folder / "cam2.flac", "silent": folder / "silent.wav",
             "text": folder / "notes.wav", "gappy": folder / "gappy.wav"}
    sf.write(paths["master"], master_audio(match, seconds=150.0, rate=48_000, seed=1), 48_000)
    sf.write(paths["cam2"], feed_audio(match, offset_s=-3.7, drift_ppm=-130.0, seconds=120.0, rate=44_100, seed=2),
             44_100)
    sf.write(paths["silent"], np.zeros(60 * 48_000, np.float32), 48_000)
    gappy = feed_audio(match, offset_s=5.2, drift_ppm=80.0, seconds=100.0, rate=48_000, seed=3)
    gappy[40 * 48_000:42 * 48_000] = 0.0
    sf.write(paths["gappy"], gappy, 48_000)
    paths["text"].write_text("not audio\n")
    return paths


def test_align_writes_one_contract_line_per_feed(files, tmp_path):
    out = tmp_path / "alignment.jsonl"
    p = align(str(files["master"]), str(files["cam2"]), str(files["silent"]), str(files["gappy"]), "--out", str(out))
    assert p.returncode == 0, p.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["feed"] for r in rows] == [str(files["cam2"]), str(files["silent"]), str(files["gappy"])]
    cam2, silent, gappy = rows
    assert abs(gappy["offset_s"] - whole_sample(5.2)) <= 0.005 and abs(gappy["drift_ppm"] - 80.0) <= 5.0
    [warning] = gappy["warnings"]  # resampling smears the gap's edges by a 100 ms frame at most
    start, end = (float(w) for w in re.fullmatch(r"silent from (\S+) s to (\S+) s \(dropout\?\): .*", warning).groups())
    assert abs(start - 40.0) <= 0.15 and abs(end - 42.0) <= 0.15
    assert abs(cam2["offset_s"] - whole_sample(-3.7)) <= 0.005
    assert abs(cam2["drift_ppm"] + 130.0) <= 5.0
    assert cam2["confidence"] >= 0.9
    assert any("44100 Hz differs from the master's 48000 Hz" in w for w in cam2["warnings"])
    assert silent["offset_s"] is None and silent["confidence"] == 0.0
    assert "feed is silent" in " ".join(silent["warnings"])
    assert "silent.wav: feed is silent" in p.stderr
    assert "Traceback" not in p.stderr


@pytest.mark.parametrize("problem", ["missing", "text", "same"])
def test_bad_input_is_one_line_and_exit_2(files, problem):
    master = str(files["master"])
    feed = {"missing": str(files["master"].with_name("nope.wav")), "text": str(files["text"]), "same": master}[problem]
    p = align(master, feed, "--out", "-")
    assert p.returncode == 2, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("matchsync align: ") and feed in lines[0], p.stderr


def test_ltc_channel_gives_each_feed_its_timecode(files, tmp_path):
    """A stereo feed: programme on channel 0, 25 fps LTC from 10:00:00:00 on channel 1; another without LTC."""
    from core.ltc.encode import encode_ltc
    from core.ltc.smpte import Timecode, frame_count
    programme, rate = sf.read(files["cam2"], dtype="float32")
    programme = np.asarray(programme, np.float32)
    frames = int(len(programme) / rate * 25)
    ltc = np.concatenate(list(encode_ltc(frames, "25", rate, first=frame_count(Timecode(10, 0, 0, 0), "25"))))
    stereo = np.zeros((len(programme), 2), np.float32)
    stereo[:, 0] = programme
    stereo[:len(ltc), 1] = ltc[:len(programme)] * 0.1
    with_ltc = tmp_path / "cam3.wav"
    sf.write(with_ltc, stereo, rate)
    plain = tmp_path / "cam4.wav"
    sf.write(plain, np.stack([programme, np.zeros_like(programme)], axis=1), rate)
    master = tmp_path / "master.wav"
    audio, m_rate = sf.read(files["master"], dtype="float32")
    sf.write(master, np.stack([audio, np.zeros_like(audio)], axis=1), m_rate)
    p = align(str(master), str(with_ltc), str(plain), "--channel", "0", "--ltc-channel", "1", "--out", "-")
    assert p.returncode == 0, p.stderr
    cam3, cam4 = [json.loads(line) for line in p.stdout.splitlines()]
    assert abs(cam3["offset_s"] - whole_sample(-3.7)) <= 0.005
    assert cam3["ltc"]["fps"] == "25" and cam3["ltc"]["timecode"] == "10:00:00:00"
    assert cam3["ltc"]["frames"] >= frames - 1 and cam3["ltc"]["breaks_t_f"] == []
    assert cam4["ltc"] is None and "no LTC found on channel 1" in " ".join(cam4["warnings"])
    bad = align(str(master), str(with_ltc), "--ltc-channel", "1")
    assert bad.returncode == 2 and "--channel" in bad.stderr
