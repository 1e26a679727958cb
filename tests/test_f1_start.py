"""A simulated Formula One start: five beeps a second apart over engines, then lights out and the launch."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import soxr

from core import ANALYSIS_RATE
from core.detect.beeps import detect_start
from core.model import LoggedEvent
from core.profiles import correct_events, load_profile

RATE = ANALYSIS_RATE


def smooth_noise(rng: np.random.Generator, n: int, per_s: float) -> np.ndarray:
    """Slowly wandering values around 0 (unit-ish), ``per_s`` new random points per second."""
    knots = rng.standard_normal(int(n / RATE * per_s) + 2)
    return np.interp(np.arange(n) / RATE * per_s, np.arange(len(knots)), knots)


def engines(rng: np.random.Generator, n: int, launch: int) -> np.ndarray:
    """Twenty cars revving on the grid; at ``launch`` the revs drop with the clutch, then climb, 10 dB louder."""
    t = np.arange(n) / RATE
    after = np.clip((np.arange(n) - launch) / (0.012 * RATE), 0.0, 1.0)  # 12 ms attack
    out = np.zeros(n)
    for _ in range(20):
        base = rng.uniform(170.0, 260.0)
        f0 = base * (1.0 + 0.06 * smooth_noise(rng, n, 3.0))
        f0 = np.where(np.arange(n) >= launch, base * (0.7 + 0.25 * np.clip(t - launch / RATE, 0, 3)), f0)
        phase = 2 * np.pi * np.cumsum(f0) / RATE + rng.uniform(0, 2 * np.pi)
        car = sum(np.sin(h * phase) / h for h in range(1, 9))
        out += car * (1.0 + 0.2 * smooth_noise(rng, n, 5.0)) * rng.uniform(0.3, 1.0)
    noise = np.convolve(rng.standard_normal(n), np.ones(4) / 4, mode="same")
    out = out / np.std(out) + 0.7 * noise / np.std(noise)
    return out * (1.0 + (10 ** (10 / 20) - 1.0) * after)


def f1_start(seed: int, beeps: int = 5, crowd: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """Audio (16 kHz, about 12 s) and the true lights-out time in seconds."""
    rng = np.random.default_rng(seed)
    first_beep = rng.uniform(2.0, 3.0)
    lights_out = first_beep + 4.0 + rng.uniform(0.2, 3.0)
    n = int((lights_out + 4.0) * RATE)
    launch = int(round(lights_out * RATE))
    x = engines(rng, n, launch)
    freq, dur = rng.uniform(900.0, 2200.0), rng.uniform(0.2, 0.35)
    tone = np.sin(2 * np.pi * freq * np.arange(int(dur * RATE)) / RATE) * np.hanning(int(dur * RATE)) ** 0.1
    for i in range(beeps):
        at = int((first_beep + i + rng.uniform(-0.02, 0.02)) * RATE)
        x[at:at + len(tone)] += tone * rng.uniform(0.8, 1.5)
    if crowd is not None:
        x += 0.3 * np.resize(crowd, n) / np.std(crowd)
    return (0.05 * x / np.std(x)).astype(np.float32), launch / RATE


@pytest.fixture(scope="module")
def crowd(shared_data) -> np.ndarray:
    audio, rate = sf.read(shared_data / "crowd" / "freesound" / "crowd_cheering.wav", dtype="float32", always_2d=True)
    return soxr.resample(audio.mean(axis=1), rate, RATE)


@pytest.mark.parametrize("seed", range(8))
def test_lights_out_within_20_ms(seed, crowd):
    audio, truth = f1_start(seed, crowd=crowd if seed % 2 else None)
    anchors = detect_start(audio)
    lights = [a for a in anchors if a.kind == "lights_out"]
    assert len(lights) == 1, anchors
    error = lights[0].start / RATE - truth
    print(f"seed {seed}: lights-out error {1e3 * error:+.1f} ms, confidence {lights[0].confidence:.2f}")
    assert abs(error) <= 0.020
    assert lights[0].confidence >= 0.7
    beeps = [a for a in anchors if a.kind == "start_beeps"]
    assert len(beeps) == 1 and beeps[0].start / RATE < truth - 4.0


def test_block_sizes_give_the_same_anchor():
    from core.detect.beeps import StartLightsDetector
    from core.dsp.stft import StreamingSTFT
    from core.model import AudioBlock
    audio, _ = f1_start(3)
    results = []
    for block in (RATE, 37):
        stft, det, found = StreamingSTFT(), StartLightsDetector(), []
        for i in range(0, len(audio), block):
            found += det.feed(stft.feed(AudioBlock(i, audio[i:i + block])))
        results.append([(a.kind, a.start, a.confidence) for a in found])
    assert results[0] == results[1] and results[0]


@pytest.mark.parametrize("beeps", [0, 4])
def test_no_lights_out_without_five_beeps(beeps):
    audio, _ = f1_start(11, beeps=beeps)
    assert not [a for a in detect_start(audio) if a.kind == "lights_out"]


def test_logged_race_start_is_corrected_with_the_anchor():
    audio, truth = f1_start(5)
    anchors = detect_start(audio)
    profile = load_profile("formula1")
    events = [LoggedEvent("ev-1", "race_start", truth + 2.7), LoggedEvent("ev-2", "overtake", truth + 6.0),
              LoggedEvent("ev-3", "race_start", truth + 40.0)]
    rows = correct_events(events, anchors, profile, RATE)
    start, overtake, late = rows
    assert start["basis"] == "lights_out" and abs(start["t"] - truth) <= 0.020 and start["confidence"] >= 0.7
    assert abs(start["anchor_t"] - start["t"]) < 1e-9
    assert overtake["basis"] == "clock" and overtake["anchor_t"] is None
    assert late["basis"] == "clock" and abs(late["t"] - (truth + 40.0)) < 1e-3  # outside the search window


def test_formula1_profile_on_a_media_file(tmp_path):
    """The profile picks the detectors; a 48 kHz file goes through ingest, and race_start lands on lights out."""
    from core.profiles.detect import detect_for_profile
    audio, truth = f1_start(6)
    path = tmp_path / "grid.wav"
    sf.write(path, soxr.resample(audio, RATE, 48_000), 48_000)
    profile = load_profile("formula1")
    anchors = detect_for_profile(str(path), profile)
    assert {a.kind for a in anchors} == {"start_beeps", "lights_out"}
    rows = correct_events([LoggedEvent("ev-7", "race_start", truth + 1.9)], anchors, profile, RATE)
    assert rows[0]["basis"] == "lights_out" and abs(rows[0]["t"] - truth) <= 0.020
