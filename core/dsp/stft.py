"""Streaming short-time Fourier transform that gives the same frames whatever the block sizes fed."""
from __future__ import annotations

import numpy as np
import scipy.fft
from numpy.lib.stride_tricks import sliding_window_view

from core.model import AudioBlock, SpectrumFrames

DETECTOR_FFT_SIZE = 512
DETECTOR_HOP = 128


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
        self.window = np.hanning(size + 1)[:size].astype(np.float32)
        self._pending = np.zeros(0, dtype=np.float32)
        self._next_frame = 0
        self._expected = 0

    def feed(self, block: AudioBlock) -> SpectrumFrames:
        """Add samples (they must continue where the last block ended); return the frames completed."""
        if block.start != self._expected:
            raise ValueError(f"block starts at {block.start}, expected {self._expected}")
        self._expected = block.end
        self._pending = np.concatenate((self._pending, np.asarray(block.samples, dtype=np.float32)))
        first = self._next_frame
        count = 0 if len(self._pending) < self.size else (len(self._pending) - self.size) // self.hop + 1
        if count == 0:
            return SpectrumFrames(first, self.hop, self.size, np.zeros((0, self.size // 2 + 1), np.float32))
        frames = sliding_window_view(self._pending, self.size)[: count * self.hop : self.hop]
        spectrum = scipy.fft.rfft(frames * self.window, axis=1)
        power = np.ascontiguousarray(spectrum.real**2 + spectrum.imag**2, dtype=np.float32)
        self._pending = self._pending[count * self.hop :].copy()
        self._next_frame += count
        return SpectrumFrames(first, self.hop, self.size, power)
