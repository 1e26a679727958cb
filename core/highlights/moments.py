"""Picking the top moments of an excitement curve and turning them into clips with pre- and post-roll."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.highlights.excitement import Excitement

HALF_PEAK = 0.5
"""A moment spans the readings around its peak whose score stays above this share of the peak..."""
MAX_SPAN_S = 30.0
"""...but no more than this long on either side."""


@dataclass(frozen=True, slots=True)
class Moment:
    """One highlight: the exciting span ``start_s``-``end_s``, its peak and score, and its clip
    ``clip_start_s``-``clip_end_s`` (the span with pre- and post-roll, inside the media)."""

    rank: int
    score: float
    peak_s: float
    start_s: float
    end_s: float
    clip_start_s: float
    clip_end_s: float


def pick_moments(excitement: Excitement, top: int, pre_s: float, post_s: float) -> list[Moment]:
    """The ``top`` best-scoring moments whose clips do not overlap, in time order.

    Each step takes the highest score left, spans the moment around it, extends its start back to
    where a crowd surge inside it began (the rise starts at the action), and rules out every reading
    its clip covers.
    """
    score = excitement.score.copy()
    times = excitement.n / excitement.rate
    moments: list[Moment] = []
    while len(moments) < top and len(score) and score.max() > 0:
        peak = int(np.argmax(score))
        start, end = _span(score, times, peak)  # stops at moments already taken
        for surge in excitement.surges:
            s0, s1 = surge.start / excitement.rate, surge.end / excitement.rate
            if s0 <= end and s1 >= start:
                start = min(start, s0)
        clip_start = max(0.0, start - pre_s)
        clip_end = min(excitement.duration_s, end + post_s)
        moments.append(Moment(len(moments) + 1, float(excitement.score[peak]), float(times[peak]),
                              start, end, clip_start, clip_end))
        score[(times >= clip_start - pre_s - post_s) & (times <= clip_end + pre_s + post_s)] = 0.0
    return sorted(moments, key=lambda m: m.clip_start_s)


def _span(score: np.ndarray, times: np.ndarray, peak: int) -> tuple[float, float]:
    """Start and end (s) of the run of readings around ``peak`` above half its score."""
    floor = HALF_PEAK * score[peak]
    lo = hi = peak
    while lo > 0 and score[lo - 1] >= floor and times[peak] - times[lo - 1] <= MAX_SPAN_S:
        lo -= 1
    while hi < len(score) - 1 and score[hi + 1] >= floor and times[hi + 1] - times[peak] <= MAX_SPAN_S:
        hi += 1
    return float(times[lo]), float(times[hi])
