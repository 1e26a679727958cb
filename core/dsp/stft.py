"""Streaming short-time Fourier transform that gives the same frames whatever the block sizes fed."""
from __future__ import annotations

import numpy as np
import scipy.fft
from numpy.lib.stride_tricks import sliding_window_view

from core.model import AudioBlock, SpectrumFrames

DETECTOR_FFT_SIZE = 512
DETECTOR_HOP = 128
FFT_BATCH_FRAMES = 128
"""Frames transformed per FFT call: a long block is done in batches whose buffers stay in the CPU cache."""


def hann(size: int) -> np.ndarray:
    """The periodic Hann window of ``size`` samples (float64) that every frame is weighted with."""
    return np.hanning(size + 1)[:size]


def hann_energy_head(size: int) -> np.ndarray:
    """Share of a frame's window energy on its first ``n`` samples, for n = 0 ... size."""
    squares = hann(size) ** 2
    return np.concatenate(([0.0], np.cumsum(squares) / squares.sum()))


class StreamingSTFT:
    """Hann-windowed power spectra of frames ``k`` covering samples ``[k*hop, k*hop + size)``.

    A frame is emitted as soon as its last sample has arrived, so frames never depend on how the
    signal was cut into blocks.
    """

    def __init__(self, size: int = DETECTOR_FFT_SIZE, hop: int = DETECTOR_HOP) -> None:
        if size <= 0 or hop <= 0 or hop > size:
            raise ValueError(f"bad STFT geometry: size={size} hop={hop}")
        self.size = size
        self.hop = hop
        self.window = hann(size).astype(np.float32)
        self._windowed = np.empty((FFT_BATCH_FRAMES, size), dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)
        self._next_frame = 0
        self._expected = 0
        self._flushed = False

    @property
    def end(self) -> int:
        """Samples fed so far: the index just past the last one."""
        return self._expected

    def feed(self, block: AudioBlock) -> SpectrumFrames:
        """Add samples (they must continue where the last block ended); return the frames completed."""
        if block.start != self._expected or self._flushed:
            raise ValueError(f"block starts at {block.start}, expected {self._expected}"
                             + (" (the stream was flushed)" if self._flushed else ""))
        self._expected = block.end
        return self._frames(np.asarray(block.samples, dtype=np.float32))

    def flush(self) -> SpectrumFrames:
        """At the end of the stream: the frames, zero-padded past its end, whose middle ``hop`` samples (the
        share ``core.dsp.loudness`` gives each frame) start before the end. Nothing may be fed after this."""
        lead = (self.size - self.hop) // 2
        frames = max(0, -(-(self._expected - lead) // self.hop) - self._next_frame)
        padding = frames * self.hop + self.size - self.hop - len(self._pending) if frames else 0
        self._flushed = True
        return self._frames(np.zeros(max(padding, 0), np.float32))

    def _frames(self, samples: np.ndarray) -> SpectrumFrames:
        """The frames completed by ``samples``. The few frames that begin in the held-back samples are cut
        from a short joined buffer; the rest straight from ``samples``, which is never copied whole."""
        held, size, hop = self._pending, self.size, self.hop
        total = len(held) + len(samples)
        count = 0 if total < size else (total - size) // hop + 1
        power = np.empty((count, size // 2 + 1), dtype=np.float32)
        straddling = min(count, -(-len(held) // hop))
        if straddling:
            head = np.concatenate((held, samples[: (straddling - 1) * hop + size - len(held)]))
            self._transform(sliding_window_view(head, size)[::hop], power[:straddling])
        if count > straddling:
            rest = samples[straddling * hop - len(held):]
            self._transform(sliding_window_view(rest, size)[: (count - straddling) * hop : hop], power[straddling:])
        next_start = count * hop - len(held)  # where the next frame begins, in ``samples``
        self._pending = (np.concatenate((held[count * hop:], samples)) if next_start < 0
                         else samples[next_start:].copy())
        first = self._next_frame
        self._next_frame += count
        return SpectrumFrames(first, hop, size, power)

    def _transform(self, frames: np.ndarray, out: np.ndarray) -> None:
        """Hann-windowed power spectra of ``frames`` (rows) into ``out``, a cache-sized batch at a time."""
        for start in range(0, len(frames), FFT_BATCH_FRAMES):
            batch = frames[start : start + FFT_BATCH_FRAMES]
            windowed = np.multiply(batch, self.window, out=self._windowed[: len(batch)])
            parts = scipy.fft.rfft(windowed, axis=1, overwrite_x=True).view(np.float32)  # re, im interleaved
            np.multiply(parts, parts, out=parts)
            np.add(parts[:, 0::2], parts[:, 1::2], out=out[start : start + len(batch)])
