"""A whistle is reported as soon as it is judged (DECIDE_FRAMES into the blast), revised at its close with
the same start, and withdrawn when the full judgement rejects it; every consumer keeps the latest report."""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pytest

from core.detect.offline import detect_file
from core.detect.pipeline import DetectorPipeline, latest_anchors
from core.detect.whistle import DECIDE_FRAMES
from core.model import Anchor, AudioBlock, LoggedEvent, Rejection
from core.sync.engine import SyncEngine
from tests.whistle_mixing import RATE, read_mono

BLOCK = 37


@dataclass(frozen=True)
class Report:
    head: int  # samples fed when the report came out
    item: Anchor | Rejection


def reports(samples: np.ndarray) -> list[Report]:
    """Every whistle anchor and rejection in the order the pipeline emits them, with the audio fed by then."""
    pipeline = DetectorPipeline(RATE)
    found: list[Report] = []
    for start in range(0, len(samples), BLOCK):
        out = pipeline.feed(AudioBlock(start, samples[start:start + BLOCK]))
        found += [Report(start + BLOCK, item) for item in out.anchors + out.rejections if item.kind == "whistle"]
    out = pipeline.flush()
    found += [Report(len(samples), item) for item in out.anchors + out.rejections if item.kind == "whistle"]
    return found


@pytest.fixture(scope="module")
def long_blast(shared_data) -> str:
    return str(shared_data / "sfx" / "tuxfootball" / "refwhistlelong.wav")


def test_a_long_blast_is_reported_once_judged_then_revised_at_its_close(long_blast: str) -> None:
    found = [r for r in reports(read_mono(long_blast)) if isinstance(r.item, Anchor)]
    first, last = found[0], found[-1]
    assert len(found) == 2 and first.item.start == last.item.start
    hop = DetectorPipeline(RATE).stft.hop
    assert last.item.end - last.item.start > 3 * DECIDE_FRAMES * hop  # a blast long enough to matter
    assert first.head - first.item.start < DECIDE_FRAMES * hop + 0.1 * RATE  # well before the 500 ms target
    assert first.item.end < last.item.end <= last.head
    assert latest_anchors(r.item for r in found) == [a for a in detect_file(long_blast).anchors
                                                     if a.kind == "whistle"]


@pytest.fixture(scope="module")
def whistle_then_steady_tone(long_blast: str) -> np.ndarray:
    """Real whistle for 0.45 s, then 3 s of a synthetic steady tone at its pitch: a whistle at first sight,
    a steady tone (no warble) once judged in full."""
    whistle = read_mono(long_blast)[:int(0.45 * RATE)]
    rms = float(np.sqrt(np.mean(whistle[int(0.1 * RATE):] ** 2)))
    pitch = [r.item for r in reports(whistle) if isinstance(r.item, Anchor)][0].freqs_hz[0]
    tone = np.sqrt(2) * rms * np.sin(2 * np.pi * pitch * np.arange(3 * RATE) / RATE)
    quiet = 0.001 * np.random.default_rng(0).standard_normal(RATE)
    return np.concatenate([quiet, whistle, tone, np.zeros(RATE)]).astype(np.float32)


def test_an_early_whistle_rejected_at_its_close_is_withdrawn(whistle_then_steady_tone: np.ndarray) -> None:
    found = reports(whistle_then_steady_tone)
    early, withdrawn = [r.item for r in found if isinstance(r.item, Anchor)]
    rejection = next(r.item for r in found if isinstance(r.item, Rejection) and r.item.start == early.start)
    assert not early.withdrawn and withdrawn.withdrawn and withdrawn.start == early.start
    assert "steady tone" in rejection.reason
    assert latest_anchors([early, withdrawn]) == []


def test_the_sync_engine_follows_revisions_and_withdrawals() -> None:
    early = Anchor("whistle", 10 * RATE, 10 * RATE + 4000, 0.9, (3000.0,))
    final = Anchor("whistle", early.start, early.end + 8000, 0.9, (3000.0,))
    engine = SyncEngine(RATE)
    engine.add_event(LoggedEvent("e1", "foul", 11.0))
    history = []
    for step, anchor in enumerate((early, final, final, replace(final, withdrawn=True))):
        engine.add_anchors([anchor])
        history.append(engine.advance((11 + step) * RATE))
    (placed,), (revised,), repeated, (dropped,) = history
    assert placed.basis == "whistle" and placed.anchor == early
    assert revised.anchor == final and revised.revision == 1 and revised.n == placed.n
    assert repeated == []  # the same report again changes nothing
    assert dropped.basis != "whistle" and dropped.anchor is None
