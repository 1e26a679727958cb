"""The whole detector pipeline gives identical frames, loudness and detections whatever the block size."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr

from core.detect.pipeline import BATCH_BLOCK_SAMPLES, DetectorPipeline
from core.ingest.media import open_media
from core.model import Anchor, LoudnessReading, Rejection

RATE = 44_100


@dataclass
class Run:
    first_frame: int
    power: np.ndarray
    loudness: list[LoudnessReading]
    anchors: list[Anchor]
    rejections: list[Rejection]


def run_pipeline(path: Path, block_samples: int) -> Run:
    """Stream ``path`` through a fresh pipeline in blocks of ``block_samples`` (ingest included)."""
    pipeline = DetectorPipeline()
    frames, loudness, anchors, rejections = [], [], [], []
    first = None
    with open_media(str(path), block_samples=block_samples) as media:
        for block in media:
            out = pipeline.feed(block)
            if out.frames is not None and len(out.frames):
                first = out.frames.first if first is None else first
                assert out.frames.first == first + sum(len(f) for f in frames)
                frames.append(out.frames.power)
            loudness += out.loudness
            anchors += out.anchors
            rejections += out.rejections
    tail = pipeline.flush()
    return Run(first, np.concatenate(frames), loudness, anchors + tail.anchors, rejections + tail.rejections)


def mono(path: Path) -> np.ndarray:
    x, rate = sf.read(path, dtype="float32", always_2d=True)
    return soxr.resample(x.mean(axis=1), rate, RATE)


@pytest.fixture(scope="module")
def recordings(shared_data, tmp_path_factory) -> tuple[Path, Path]:
    """A real cheering crowd with two real referee-whistle recordings mixed in, and a 5 s excerpt of it."""
    crowd = mono(shared_data / "crowd/freesound/crowd_cheering.wav")
    whistles = [mono(shared_data / "sfx/tuxfootball/refwhistletwice.wav"),
                mono(shared_data / "whistle/runswift/whistle_yes/whistle_1_metre.wav")]
    quiet = np.concatenate([crowd * 0.1, crowd])  # a quieter bed, then the full cheer: a surge
    mix = quiet.copy()
    for whistle, at_s in zip(whistles, (1.5, 9.0)):
        at = int(at_s * RATE)
        gain = np.sqrt(np.mean(quiet[at : at + len(whistle)] ** 2) / np.mean(whistle**2))
        mix[at : at + len(whistle)] += whistle * gain
    folder = tmp_path_factory.mktemp("blocks")
    sf.write(folder / "full.wav", mix, RATE, subtype="FLOAT")
    sf.write(folder / "excerpt.wav", mix[: 5 * RATE], RATE, subtype="FLOAT")
    return folder / "full.wav", folder / "excerpt.wav"


def assert_same(a: Run, b: Run) -> None:
    assert a.first_frame == b.first_frame == 0
    np.testing.assert_array_equal(a.power, b.power)
    assert a.loudness == b.loudness
    assert a.anchors == b.anchors
    assert a.rejections == b.rejections


def test_full_recording_in_37_sample_one_second_and_batch_blocks(recordings):
    full, _ = recordings
    one_second = run_pipeline(full, 16_000)
    kinds = {a.kind for a in one_second.anchors}
    assert kinds == {"whistle", "crowd_surge"}, one_second.anchors  # the comparison covers both detectors
    assert len(one_second.loudness) > 200 and len(one_second.power) > 3_000
    assert_same(run_pipeline(full, 37), one_second)
    assert_same(run_pipeline(full, BATCH_BLOCK_SAMPLES), one_second)  # several FFT batches per block


def test_excerpt_in_1_sample_37_sample_and_one_second_blocks(recordings):
    _, excerpt = recordings
    one_second = run_pipeline(excerpt, 16_000)
    assert any(a.kind == "whistle" for a in one_second.anchors), one_second.anchors
    assert_same(run_pipeline(excerpt, 37), one_second)
    assert_same(run_pipeline(excerpt, 1), one_second)
