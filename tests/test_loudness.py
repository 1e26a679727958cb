"""The K-weighted loudness meter: calibration, agreement with pyloudnorm and with exact time-domain K-weighting,
block-size invariance."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import scipy.signal
import soundfile as sf

from core.dsp.loudness import (FLOOR_LUFS, MOMENTARY_STEPS, LoudnessMeter, SampleLoudnessMeter, integrated_loudness,
                               k_weighting_sos, lufs)
from core.dsp.stft import StreamingSTFT
from core.ingest.media import open_media
from core.model import AudioBlock

RATE = 16_000
ITU_48K_SOS = np.array([
    [1.53512485958697, -2.69169618940638, 1.19839281085285, 1.0, -1.69065929318241, 0.73248077421585],
    [1.0, -2.0, 1.0, 1.0, -1.99004745483398, 0.99007225036621],
])
"""The pre-filter and RLB high-pass coefficients printed in ITU-R BS.1770-4 (48 kHz)."""

FIELD_FILES = (
    "crowd/freesound/crowd_cheering.wav",
    "crowd/freesound/applause.wav",
    "sfx/tuxfootball/crowdcheer.wav",
    "sfx/tuxfootball/crowdboo.wav",
    "sfx/tuxfootball/crowdooh.wav",
    "sfx/tuxfootball/refwhistlelong.wav",
    "sfx/tuxfootball/refwhistleend.wav",
    "whistle/naodevils/Demo.wav",
    "whistle/runswift/whistle_yes/whistle_1_metre.wav",
    "whistle/runswift/whistle_no/whistle_2015_07_05_073035_gear_noise.wav",
)


def meter_readings(samples: np.ndarray, rate: int = RATE, block: int = RATE) -> list:
    """All readings of a fresh meter fed ``samples`` in blocks of ``block``, flushed at the end."""
    meter = SampleLoudnessMeter(rate)
    readings = []
    for start in range(0, len(samples), block):
        readings += meter.feed(AudioBlock(start, samples[start:start + block]))
    return readings + meter.flush()


def exact_momentary(samples: np.ndarray, rate: int = RATE) -> np.ndarray:
    """Momentary loudness of every full 400 ms window ending on a 100 ms step, K-weighted in the time domain."""
    weighted = scipy.signal.sosfilt(k_weighting_sos(rate), samples.astype(np.float64))
    step = rate // 10
    steps = (weighted[: len(weighted) // step * step] ** 2).reshape(-1, step).sum(axis=1)
    return lufs(np.convolve(steps, np.ones(MOMENTARY_STEPS), "valid") / (MOMENTARY_STEPS * step))


def sine(freq: float, amplitude: float, seconds: float, rate: int) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def decode(path: Path) -> np.ndarray:
    with open_media(str(path)) as media:
        return np.concatenate([block.samples for block in media])


@pytest.mark.parametrize("rate", [16_000, 44_100, 48_000])
def test_k_weighting_follows_the_standard_response(rate):
    """Our filter designed for ``rate`` stays within 0.1 dB of the standard's 48 kHz K-weighting."""
    freqs = np.geomspace(20, min(20_000, 0.45 * rate), 300)
    _, ours = scipy.signal.sosfreqz(k_weighting_sos(rate), worN=freqs, fs=rate)
    _, ref = scipy.signal.sosfreqz(ITU_48K_SOS, worN=freqs, fs=48_000)
    deviation = np.abs(20 * np.log10(np.abs(ours)) - 20 * np.log10(np.abs(ref)))
    assert deviation.max() < 0.1, f"max deviation {deviation.max():.3f} dB at {freqs[deviation.argmax()]:.0f} Hz"


@pytest.mark.parametrize("rate", [16_000, 48_000])
def test_calibration_tones(rate):
    """0 dBFS 997 Hz reads -3.01 LUFS and a -20 dBFS 1 kHz sine -23.01 LUFS, within EBU Tech 3341's 0.1 LU."""
    full = meter_readings(sine(997.0, 1.0, 4.0, rate), rate)
    quiet = meter_readings(sine(1000.0, 0.1, 4.0, rate), rate)
    for readings, expected in ((full, -3.01), (quiet, -23.01)):
        steady = readings[-1]
        assert abs(steady.momentary_lufs - expected) < 0.1, (rate, steady)
        assert abs(steady.short_term_lufs - steady.momentary_lufs) < 0.01
        print(f"{rate} Hz: expected {expected:+.2f}, momentary {steady.momentary_lufs:+.3f} LUFS")


def test_readings_every_100ms_and_partial_windows_report_what_exists():
    tone = sine(1000.0, 0.1, 5.0, RATE)
    readings = meter_readings(tone)
    assert [r.n for r in readings] == list(range(1600, len(tone) + 1, 1600))
    steady = readings[-1].momentary_lufs
    # After 0.2 s both windows hold only 0.2 s of the tone; its loudness is already the tone's own.
    assert abs(readings[1].momentary_lufs - steady) < 0.1
    assert abs(readings[1].short_term_lufs - steady) < 0.1


def test_silence_reads_the_floor_never_nan():
    silent = np.zeros(3 * RATE, dtype=np.float32)
    readings = meter_readings(silent)
    assert readings and all(r.momentary_lufs == FLOOR_LUFS == r.short_term_lufs for r in readings)
    assert integrated_loudness(readings, RATE) == FLOOR_LUFS
    faint = meter_readings(np.concatenate((silent, sine(1000.0, 1e-9, 1.0, RATE))))
    assert all(math.isfinite(r.momentary_lufs) and r.momentary_lufs >= FLOOR_LUFS for r in faint)


def test_gates_drop_silence_and_quiet_passages():
    """Integrated loudness of tone + silence is the tone's; a passage 20 LU down is gated out too."""
    loud = sine(1000.0, 0.1, 20.0, RATE)
    soft = sine(1000.0, 0.01, 20.0, RATE)
    tone_only = integrated_loudness(meter_readings(loud), RATE)
    mixed = np.concatenate((loud, np.zeros(20 * RATE, np.float32), soft))
    gated = integrated_loudness(meter_readings(mixed), RATE)
    assert abs(gated - tone_only) < 0.05  # only the blocks straddling the tone's end pull it down a little
    reference = pyloudnorm.Meter(RATE).integrated_loudness(mixed.astype(np.float64))
    assert abs(gated - reference) < 0.05


def test_integrated_loudness_agrees_with_pyloudnorm_on_field_recordings(shared_data):
    """Same signal (the file resampled to 16 kHz by open_media), same rate: within 0.1 LU of pyloudnorm."""
    rows = []
    for name in FIELD_FILES:
        path = shared_data / name
        samples = decode(path)
        ours = integrated_loudness(meter_readings(samples), RATE)
        same_rate = pyloudnorm.Meter(RATE).integrated_loudness(samples.astype(np.float64))
        native, native_rate = sf.read(str(path), dtype="float64", always_2d=True)
        at_native = pyloudnorm.Meter(native_rate).integrated_loudness(native.mean(axis=1))
        rows.append((name, ours, ours - same_rate, ours - at_native))
        assert abs(ours - same_rate) < 0.1, (name, ours, same_rate)
    for name, ours, same, native in rows:
        print(f"{name:70s} {ours:8.3f} LUFS  vs pyloudnorm@16k {same:+.4f} LU  vs pyloudnorm@native {native:+.3f} LU")


def test_readings_do_not_depend_on_block_sizes(shared_data):
    """1-sample, 37-sample, 1-second and irregular blocks give bit-identical readings."""
    samples = decode(shared_data / "crowd/freesound/crowd_cheering.wav")
    whole = meter_readings(samples, block=len(samples))
    assert meter_readings(samples, block=37) == whole
    assert meter_readings(samples, block=RATE) == whole
    rng = np.random.default_rng(7)
    meter, irregular, start = SampleLoudnessMeter(RATE), [], 0
    while start < len(samples):
        size = int(rng.integers(0, 5000))
        irregular += meter.feed(AudioBlock(start, samples[start:start + size]))
        start += size
    assert irregular + meter.flush() == whole
    head = samples[: 3 * RATE]  # its last reading is flushed from frames padded past 3 s, the rest are whole's
    assert meter_readings(head, block=1)[:-1] == whole[: len(head) // 1600 - 1]


def test_empty_blocks_and_non_finite_samples_are_harmless():
    tone = sine(1000.0, 0.1, 3.0, RATE)
    clean = meter_readings(tone)
    meter = SampleLoudnessMeter(RATE)
    assert meter.feed(AudioBlock(0, np.zeros(0, np.float32))) == []
    broken = tone.copy()
    broken[100:110] = [np.nan, np.inf, -np.inf] * 3 + [np.nan]
    readings = meter.feed(AudioBlock(0, broken))
    assert all(math.isfinite(r.momentary_lufs) and math.isfinite(r.short_term_lufs) for r in readings)
    assert abs(readings[-1].momentary_lufs - clean[-1].momentary_lufs) < 0.01


def test_frames_must_continue_the_stream_and_fit_the_meter():
    stft = StreamingSTFT()
    meter = LoudnessMeter(RATE, stft.size, stft.hop)
    frames = stft.feed(AudioBlock(0, np.zeros(RATE, np.float32)))
    meter.feed(frames)
    with pytest.raises(ValueError):
        meter.feed(frames)  # the same frames again
    with pytest.raises(ValueError):  # frames of another geometry
        meter.feed(StreamingSTFT(256, 64).feed(AudioBlock(0, np.zeros(RATE, np.float32))))
    with pytest.raises(ValueError):
        LoudnessMeter(11_025, stft.size, stft.hop)
    with pytest.raises(ValueError):
        LoudnessMeter(RATE, 512, 256)  # Hann frames at 50 % overlap do not add up to a constant energy
    stft.flush()
    with pytest.raises(ValueError):
        stft.feed(AudioBlock(RATE, np.zeros(100, np.float32)))


def test_readings_from_frames_follow_exact_time_domain_k_weighting(shared_data):
    """The meter reads STFT frames; every full momentary window of the field recordings stays close to the
    loudness of the time-domain K-filtered samples: median within 0.03 LU, each within 0.2 LU."""
    for name in FIELD_FILES:
        samples = decode(shared_data / name)
        ours = np.array([r.momentary_lufs for r in meter_readings(samples)])[MOMENTARY_STEPS - 1:]
        exact = exact_momentary(samples)
        loud = exact > -70
        diff = np.abs(ours - exact)[loud]
        print(f"{name:70s} momentary |difference| median {np.median(diff):.3f} p95 {np.percentile(diff, 95):.3f} "
              f"max {diff.max():.3f} LU over {loud.sum()} windows")
        assert len(ours) == len(exact)
        assert np.median(diff) < 0.03 and diff.max() < 0.2, name
