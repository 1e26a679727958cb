"""The built-in demo: a simulated match rendered on the fly at live pace, with its logger's feed."""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import soxr

from core.live.feeds import TimedFeed
from core.live.sources import BLOCK_SAMPLES, PacedSource
from core.sim.match import Match, build_match, render_audio

DEMO_SEED = 7
DEMO_MINUTES = 90.0


class DemoSource(PacedSource):
    """The match's 48 kHz mix, resampled to the analysis rate block by block."""

    def __init__(self, match: Match, speed: float = 1.0, resume_n: int = 0) -> None:
        super().__init__(speed, resume_n)
        self.name = f"demo (seed {match.seed}, {match.minutes:g} min)"
        self.match = match

    def _blocks(self) -> Iterator[np.ndarray]:
        native = BLOCK_SAMPLES * self.match.rate // self.rate
        resampler = soxr.ResampleStream(self.match.rate, self.rate, 1, dtype="float32", quality="HQ")
        for start in range(0, self.match.samples, native):
            chunk = render_audio(self.match, start, min(native, self.match.samples - start))
            last = start + native >= self.match.samples
            out = resampler.resample_chunk(np.ascontiguousarray(chunk, dtype=np.float32), last=last)
            if len(out):
                yield out


def demo_feed(match: Match, rate: int) -> TimedFeed:
    """The simulated logger's entries, each released when the media clock reaches the moment it was typed
    (the logger's clock reads ``offset + t * (1 + drift)`` at media time ``t``); entries typed after the
    audio ends arrive with its last sample."""
    logger = match.meta["logger"]
    scale = 1.0 + logger["drift_ppm"] * 1e-6
    last = match.samples * rate // match.rate - 1
    return TimedFeed((min(last, max(0, int(round((e.t - logger["offset_s"]) / scale * rate)))), e)
                     for e in match.logged)


def open_demo(seed: int = DEMO_SEED, minutes: float = DEMO_MINUTES, speed: float = 1.0,
              resume_n: int = 0) -> tuple[DemoSource, TimedFeed]:
    """The demo source and its logger feed."""
    match = build_match(seed, minutes)
    source = DemoSource(match, speed, resume_n)
    return source, demo_feed(match, source.rate)
