"""An LTC encoder written from the SMPTE 12M bit layout alone (a check on libltc, and test material).

Biphase mark: the level flips at the start of every bit and once more in the middle of a 1 bit. Frame k
starts exactly at k / fps seconds; each of its 80 bits lasts 1/80 of the frame.
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from core.ltc.smpte import RATES, frame_bits, timecode_at

CHUNK_FRAMES = 250
"""Frames rendered per yielded chunk (keeps a 10-minute track out of memory)."""


def encode_ltc(frames: int, fps_name: str, rate: int, *, first: int = 0, level_dbfs: float = -3.0
               ) -> Iterator[np.ndarray]:
    """Float32 chunks of an LTC track of ``frames`` frames counted from frame number ``first``.

    Each sample holds the square wave's mean over its own duration, so a flip between two samples is
    shared between them (a rise of one sample, 21 us at 48 kHz: SMPTE asks 25 +/- 5 us).
    """
    fps = float(RATES[fps_name][0])
    peak = 10.0 ** (level_dbfs / 20.0)
    bit_s = 1.0 / (fps * 80)
    level = 1.0
    for start in range(0, frames, CHUNK_FRAMES):
        count = min(CHUNK_FRAMES, frames - start)
        edges, level_after = _edges(first + start, start, count, fps_name, bit_s, level)
        n0 = int(np.ceil(start / fps * rate))
        n1 = int(np.ceil((start + count) / fps * rate))
        following = (start + count) / fps  # the next frame's first flip may fall inside this chunk's last sample
        yield (peak * _render(np.append(edges, following), level, n0, n1, rate)).astype(np.float32)
        level = level_after


def _edges(number: int, index: int, count: int, fps_name: str, bit_s: float, level: float
           ) -> tuple[np.ndarray, float]:
    """Times of every level flip of frames index .. index+count (frame numbers from ``number``)."""
    bits = np.concatenate([frame_bits(timecode_at(number + k, fps_name), fps_name) for k in range(count)])
    slots = np.arange(len(bits), dtype=np.float64) + index * 80
    edges = np.sort(np.concatenate([slots * bit_s, (slots[bits == 1] + 0.5) * bit_s]))
    return edges, level * (-1.0) ** len(edges)


def _render(edges: np.ndarray, level: float, n0: int, n1: int, rate: int) -> np.ndarray:
    """Samples n0..n1 of the wave that holds ``level`` before the first edge and flips at every edge."""
    t = np.arange(n0, n1 + 1, dtype=np.float64) / rate
    signs = level * (-1.0) ** np.arange(len(edges) + 1)  # signs[k]: the level after k flips
    # running integral of the wave from the first edge: exact at every edge, linear in between
    at_edges = np.concatenate([[0.0], np.cumsum(signs[1:-1] * np.diff(edges))])
    k = np.searchsorted(edges, t, side="right")
    integral = np.where(k == 0, level * (t - edges[0]),
                        at_edges[np.maximum(k - 1, 0)] + signs[k] * (t - edges[np.maximum(k - 1, 0)]))
    return np.diff(integral) * rate
