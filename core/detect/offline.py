"""Running the detector pipeline over a whole media file (batch commands, benchmarks, simulator checks)."""
from __future__ import annotations

from dataclasses import dataclass

from core.detect.pipeline import BATCH_BLOCK_SAMPLES, DetectorPipeline, latest_anchors
from core.ingest.media import open_media
from core.model import Anchor, Rejection


@dataclass(frozen=True, slots=True)
class Detections:
    """Every anchor (its final report) and rejected candidate found in one file, in time order."""

    rate: int
    samples: int
    anchors: tuple[Anchor, ...]
    rejections: tuple[Rejection, ...]


def detect_file(path: str, channel: int | None = None) -> Detections:
    """Stream ``path`` through the detector pipeline (never loading it whole)."""
    pipeline = DetectorPipeline()
    anchors: list[Anchor] = []
    rejections: list[Rejection] = []
    samples = 0
    with open_media(path, channel=channel, rate=pipeline.rate, block_samples=BATCH_BLOCK_SAMPLES) as media:
        for block in media:
            out = pipeline.feed(block)
            anchors += out.anchors
            rejections += out.rejections
            samples = block.end
    out = pipeline.flush()
    anchors += out.anchors
    rejections += out.rejections
    rejections.sort(key=lambda r: r.start)
    return Detections(pipeline.rate, samples, tuple(latest_anchors(anchors)), tuple(rejections))
