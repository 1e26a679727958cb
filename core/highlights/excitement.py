"""The excitement score over time: how far the crowd is above its own rising baseline, and for how long.

One pass of the detector pipeline over the media gives the 100 ms loudness readings, the crowd
detector's adaptive baseline at each of them, crowd surges and whistles. The score at a reading is the
mean gain over the baseline in the ``WINDOW_S`` around it (a roar's size and its duration both count),
raised inside a detected surge (a quick sustained rise, not the crowd's slow swell) and lowered just
after a whistle (a crowd answering a referee's call, not a piece of play).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.detect.pipeline import DetectorPipeline, PipelineOutput, latest_anchors
from core.dsp.loudness import ABSOLUTE_GATE_LUFS, STEPS_PER_SECOND
from core.ingest.media import open_media
from core.model import Anchor

WINDOW_S = 3.0
"""Span of the moving mean of the gain: a 3 s roar fills it, a 0.5 s "ooh" or horn fills a sixth."""
SURGE_WEIGHT = 1.5
"""Score factor inside a crowd surge anchor."""
WHISTLE_REACTION_S = 2.0
"""A surge that begins within this long after a whistle ends answers the referee..."""
WHISTLE_WEIGHT = 0.6
"""...and its score is scaled by this."""


@dataclass(frozen=True, slots=True, eq=False)
class Excitement:
    """Per 100 ms reading: ``n`` (reading end, samples), ``gain_lu`` over the baseline (>= 0) and
    ``score``; plus the surges and whistles heard and the media length in samples."""

    rate: int
    n: np.ndarray
    gain_lu: np.ndarray
    score: np.ndarray
    surges: tuple[Anchor, ...]
    whistles: tuple[Anchor, ...]
    samples: int

    @property
    def duration_s(self) -> float:
        """Length of the media in seconds."""
        return self.samples / self.rate


def measure(path: str, channel: int | None = None) -> Excitement:
    """Stream ``path`` through the detector pipeline once and score every 100 ms reading."""
    pipeline = DetectorPipeline()
    step = pipeline.rate // STEPS_PER_SECOND
    ns: list[int] = []
    gains: list[float] = []
    anchors: list[Anchor] = []
    samples = 0

    def take(out: PipelineOutput) -> None:
        """Keep the anchors and score the readings (at most one per call, so the baseline is that reading's)."""
        anchors.extend(out.anchors)
        baseline = pipeline.crowd.baseline_lufs
        for reading in out.loudness:
            audible = baseline is not None and reading.momentary_lufs > ABSOLUTE_GATE_LUFS
            ns.append(reading.n)
            gains.append(max(0.0, reading.momentary_lufs - baseline) if audible else 0.0)

    with open_media(path, channel=channel, rate=pipeline.rate, block_samples=step) as media:
        for block in media:
            take(pipeline.feed(block))  # a step's reading comes with the next block, its frames complete then
            samples = block.end
    take(pipeline.flush())
    anchors = latest_anchors(anchors)
    surges = tuple(a for a in anchors if a.kind == "crowd_surge")
    whistles = tuple(a for a in anchors if a.kind == "whistle")
    n = np.asarray(ns, dtype=np.int64)
    gain = np.asarray(gains, dtype=np.float64)
    return Excitement(pipeline.rate, n, gain, score_curve(n, gain, surges, whistles, pipeline.rate),
                      surges, whistles, samples)


def score_curve(n: np.ndarray, gain: np.ndarray, surges: tuple[Anchor, ...],
                whistles: tuple[Anchor, ...], rate: int) -> np.ndarray:
    """The excitement score at each reading (see the module docstring)."""
    width = max(1, round(WINDOW_S * STEPS_PER_SECOND))
    score = np.convolve(gain, np.ones(width) / width, mode="same")
    whistle_ends = np.asarray([w.end for w in whistles], dtype=np.int64)
    for surge in surges:
        inside = (n >= surge.start) & (n <= surge.end)
        weight = SURGE_WEIGHT
        before = whistle_ends[(whistle_ends <= surge.start)
                              & (whistle_ends >= surge.start - WHISTLE_REACTION_S * rate)]
        if len(before):
            weight *= WHISTLE_WEIGHT
        score[inside] *= weight
    return score
