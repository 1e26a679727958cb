"""Opening any media file as one stream of analysis-rate blocks stamped with sample indices."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from core import ANALYSIS_RATE
from core.errors import InputError
from core.model import AudioBlock


class MediaReader:
    """Mono float32 blocks at ``rate`` from a media file, streamed (never loaded whole)."""

    def __init__(self, path: str, channel: int | None, rate: int, block_samples: int) -> None:
        self.path = path
        self.rate = rate
        self.block_samples = block_samples
        if not Path(path).is_file():
            raise InputError(path, "file not found")
        try:
            self._file = sf.SoundFile(path)
        except (sf.LibsndfileError, RuntimeError) as exc:
            raise InputError(path, f"cannot read audio ({exc})") from None
        self.native_rate = self._file.samplerate
        self.channels = self._file.channels
        if channel is not None and not 0 <= channel < self.channels:
            raise InputError(path, f"channel {channel} does not exist (the file has {self.channels})")
        self.channel = channel
        self._resampler = (None if self.native_rate == rate
                           else soxr.ResampleStream(self.native_rate, rate, 1, dtype="float32", quality="HQ"))

    def __enter__(self) -> MediaReader:
        return self

    def __exit__(self, *exc) -> None:
        self._file.close()

    def __iter__(self) -> Iterator[AudioBlock]:
        n = 0
        native_block = max(1, int(self.block_samples * self.native_rate / self.rate))
        while True:
            data = self._file.read(native_block, dtype="float32", always_2d=True)
            last = len(data) < native_block
            mono = data[:, self.channel] if self.channel is not None else data.mean(axis=1, dtype=np.float32)
            mono = np.ascontiguousarray(mono, dtype=np.float32)
            if self._resampler is not None:
                mono = self._resampler.resample_chunk(mono, last=last)
            if len(mono):
                yield AudioBlock(n, mono)
                n += len(mono)
            if last:
                return


def open_media(path: str, *, channel: int | None = None, rate: int = ANALYSIS_RATE,
               block_samples: int = ANALYSIS_RATE) -> MediaReader:
    """Open ``path``; ``channel`` picks one channel (0-based), ``None`` mixes all down."""
    return MediaReader(path, channel, rate, block_samples)
