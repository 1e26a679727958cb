"""Basketball buzzer and ice-hockey horn mixed into real crowd recordings at known times; none in crowds or whistles."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import soxr

from core import ANALYSIS_RATE
from core.detect.tones import BUZZER, HORN, detect_tones
from core.dsp.stft import StreamingSTFT
from core.model import AudioBlock

RATE = ANALYSIS_RATE
NEGATIVES = ["crowd/freesound/crowd_cheering.wav", "crowd/freesound/applause.wav", "sfx/tuxfootball/crowdcheer.wav",
             "sfx/tuxfootball/crowdboo.wav", "sfx/tuxfootball/crowdooh.wav", "sfx/tuxfootball/refwhistlelong.wav",
             "sfx/tuxfootball/refwhistletwice.wav", "sfx/tuxfootball/refwhistleend.wav"]


def load(path) -> np.ndarray:
    audio, rate = sf.read(path, dtype="float32", always_2d=True)
    return soxr.resample(audio.mean(axis=1), rate, RATE)


def tone(f0: float, seconds: float, harmonics: int, rng: np.random.Generator) -> np.ndarray:
    """A harsh buzzer / horn: harmonics with a little vibrato and a 10 ms attack."""
    n = np.arange(int(seconds * RATE))
    phase = 2 * np.pi * np.cumsum(f0 * (1 + 0.003 * np.sin(2 * np.pi * 5 * n / RATE))) / RATE
    x = sum(np.sin(h * phase + rng.uniform(0, 6.3)) / h for h in range(1, harmonics + 1))
    x[:RATE // 100] *= np.linspace(0, 1, RATE // 100)
    return x / np.std(x)


@pytest.mark.parametrize("settings, f0, seconds, harmonics", [(BUZZER, 470.0, 1.2, 14), (HORN, 190.0, 2.6, 8)])
@pytest.mark.parametrize("bed_name", ["crowd_cheering.wav", "applause.wav"])
def test_tone_found_at_known_times(shared_data, settings, f0, seconds, harmonics, bed_name):
    rng = np.random.default_rng(len(bed_name))
    bed = np.resize(load(shared_data / "crowd" / "freesound" / bed_name), 40 * RATE)
    bed = 0.05 * bed / np.std(bed)
    truths = [6.21, 17.53, 29.9]
    for t0, gain_db in zip(truths, (12.0, 15.0, 18.0)):
        x = tone(f0, seconds, harmonics, rng) * 0.05 * 10 ** (gain_db / 20)
        bed[int(t0 * RATE):int(t0 * RATE) + len(x)] += x
    anchors = detect_tones(bed, settings)
    assert [a.kind for a in anchors] == [settings.kind] * 3, anchors
    errors = [a.start / RATE - t for a, t in zip(anchors, truths)]
    print(settings.kind, bed_name, [f"{1e3 * e:+.1f} ms" for e in errors])
    assert max(abs(e) for e in errors) <= 0.030
    assert all(abs(a.freqs_hz[0] - f0) <= 0.05 * f0 for a in anchors)


@pytest.mark.parametrize("name", NEGATIVES)
def test_nothing_in_crowds_and_whistles(shared_data, name):
    x = load(shared_data / name)
    assert detect_tones(x, BUZZER) == [] and detect_tones(x, HORN) == []


def test_block_sizes_give_the_same_tones(shared_data):
    from core.detect.tones import ToneDetector
    rng = np.random.default_rng(1)
    bed = np.resize(load(shared_data / "crowd" / "freesound" / "applause.wav"), 12 * RATE) * 0.1
    bed[4 * RATE:4 * RATE + int(1.5 * RATE)] += tone(300.0, 1.5, 10, rng) * 0.3
    bed = np.concatenate([bed, np.zeros(RATE)]).astype(np.float32)
    found = []
    for block in (RATE, 37):
        stft, det, out = StreamingSTFT(), ToneDetector(BUZZER), []
        for i in range(0, len(bed), block):
            out += det.feed(stft.feed(AudioBlock(i, bed[i:i + block])))
        found.append([(a.start, a.end, a.confidence) for a in out])
    assert found[0] == found[1] and len(found[0]) == 1
