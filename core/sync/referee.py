"""Which whistle detections sound like this match's referee, learned from the match itself.

A logged whistle event's anchor is the referee's blast; the other whistle detections (fans', slide and
far-away whistles) are clutter. The referee's blasts share a whistle, typical lengths and a clean,
confident tone; clutter can sound like anything. The whistles the clock and the log already pair with
logged events show what the referee sounds like in this match: each detection gets the likelihood
ratio of its features under that (a kernel density over the claimed detections, leaving the detection
itself out so a fan's whistle the log happened to point at does not vouch for itself, shrunk towards
a broad prior while few are claimed) against the broad prior, and the match's clutter rate is the
count of unclaimed detections per second.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.model import Anchor

BANDWIDTH = np.array([0.1, 0.3, 0.1])
"""Kernel widths of (confidence, log duration, log fundamental)."""

SPAN = np.array([0.5, np.log(8.0 / 0.08), np.log(4450.0 / 1850.0)])
"""Ranges of the broad prior over the same features (a detection's confidence is 0.5-1); the 2nd harmonic
is there or not with even odds."""

MIN_LR, MAX_LR = 0.02, 50.0
"""A single detection's features never decide alone beyond these odds."""


@dataclass(frozen=True, slots=True)
class RefereeModel:
    """Per whistle detection (index order), how much likelier its features are for the referee than
    for clutter, and the clutter rate (detections no logged event claims, per second)."""

    ratio: np.ndarray
    clutter_per_s: float


def features(anchors: Sequence[Anchor], rate: int) -> np.ndarray:
    """(confidence, log duration, log fundamental, has a 2nd harmonic) per whistle detection."""
    if not anchors:
        return np.zeros((0, 4))
    return np.array([(a.confidence, np.log(max(a.end - a.start, 1) / rate),
                      np.log(a.freqs_hz[0]) if a.freqs_hz else np.log(3000.0), float(len(a.freqs_hz) > 1))
                     for a in anchors])


def learn_referee(x: np.ndarray, claimed: np.ndarray, span_s: float, prior_count: float,
                  prior_clutter_per_s: float) -> RefereeModel:
    """Likelihood ratios referee/clutter from features ``x`` (see :func:`features`) and each detection's
    chance ``claimed`` of being some logged event's referee blast; ``prior_count`` pseudo-examples of the
    broad prior behind the referee's density and of ``prior_clutter_per_s`` over ``span_s`` seconds."""
    n = len(x)
    if n == 0:
        return RefereeModel(np.zeros(0), prior_clutter_per_s)
    ref_w = np.clip(claimed, 0.0, 1.0)
    cols = np.flatnonzero(ref_w > 0.0)  # only claimed detections describe the referee
    sq = np.zeros((n, len(cols)))
    for d, bw in enumerate(BANDWIDTH):
        sq += ((x[:, d, None] - x[cols, d][None, :]) / bw) ** 2
    kern = np.exp(-0.5 * sq) / np.prod(BANDWIDTH * np.sqrt(2 * np.pi))
    kern[cols, np.arange(len(cols))] = 0.0  # leave one out: a detection the log claims does not vouch for itself
    w = ref_w[cols]
    same_harm = x[:, 3, None] == x[cols, 3][None, :]
    total = ref_w.sum() - ref_w
    harm = (same_harm @ w - ref_w + 0.5 * prior_count) / (total + prior_count)
    flat = 1.0 / np.prod(SPAN)
    referee = (kern @ w + prior_count * flat) / (total + prior_count) * harm
    ratio = np.clip(referee / (flat * 0.5), MIN_LR, MAX_LR)
    clutter = (n - ref_w.sum() + prior_count) / (span_s + prior_count / prior_clutter_per_s)
    return RefereeModel(ratio, float(clutter))
