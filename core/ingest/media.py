"""Opening any media file or live URL as one stream of analysis-rate blocks stamped with sample indices."""
from __future__ import annotations

import os
import stat
from collections.abc import Iterator

import numpy as np
import soxr

from core import ANALYSIS_RATE
from core.errors import InputError
from core.ingest.av_source import AvSource, is_url
from core.ingest.sndfile_source import SOUNDFILE_MAGIC, SoundfileSource
from core.model import AudioBlock


class MediaReader:
    """Mono float32 blocks of ``block_samples`` at ``rate`` (the last may be shorter), streamed.

    ``dropouts`` lists the gaps (start, length) in samples at ``rate`` that the source's timestamps
    showed and that were filled with silence; ``discontinuities`` where its timestamps restarted. Damage
    found while decoding (a truncated or corrupt file) is raised as an InputError after every decodable
    block has been yielded.
    """

    def __init__(self, path: str, channel: int | None, rate: int, block_samples: int) -> None:
        if block_samples <= 0:
            raise ValueError(f"block_samples must be positive, not {block_samples}")
        self.path = path
        self.rate = rate
        self.block_samples = block_samples
        self._source = _open_source(path)
        self.native_rate: int = self._source.native_rate
        self.channels: int = self._source.channels
        self.duration_s: float | None = self._source.duration_s
        if channel is not None and not 0 <= channel < self.channels:
            self._source.close()
            raise InputError(path, f"channel {channel} does not exist (channels are 0 to {self.channels - 1})")
        self.channel = channel
        # soxr's medium quality has the same passband as its high quality (-3 dB at 7.6 kHz for 48 -> 16 kHz)
        # with 16-bit rather than 20-bit stopband depth, and costs 6 % less: anchors on 20 simulated matches
        # are identical.
        self._resampler = (None if self.native_rate == rate
                           else soxr.ResampleStream(self.native_rate, rate, 1, dtype="float32", quality="MQ"))

    @property
    def dropouts(self) -> list[tuple[int, int]]:
        """Gaps filled with silence so far, as (start, length) in samples at ``rate``."""
        scale = self.rate / self.native_rate
        return [(round(start * scale), round(length * scale)) for start, length in self._source.dropouts]

    @property
    def discontinuities(self) -> list[int]:
        """Sample indices at ``rate`` where the source's timestamps restarted (a splice): the clock ran on."""
        return [round(n * self.rate / self.native_rate) for n in self._source.discontinuities]

    def __enter__(self) -> MediaReader:
        return self

    def __exit__(self, *exc) -> None:
        self._source.close()

    def __iter__(self) -> Iterator[AudioBlock]:
        pending: list[np.ndarray] = []
        held = 0
        n = 0
        for mono in self._mono_at_rate():
            pending.append(mono)
            held += len(mono)
            if held < self.block_samples:
                continue
            joined = np.concatenate(pending) if len(pending) > 1 else pending[0]
            joined.flags.writeable = False  # blocks are values, and these share one buffer
            whole = held - held % self.block_samples
            for offset in range(0, whole, self.block_samples):
                yield AudioBlock(n, joined[offset : offset + self.block_samples])
                n += self.block_samples
            pending = [joined[whole:]] if held > whole else []
            held -= whole
        if held:
            last = np.concatenate(pending)
            last.flags.writeable = False
            yield AudioBlock(n, last)
        if self._source.damage:
            raise InputError(self.path, self._source.damage)
        if n + held == 0:
            raise InputError(self.path, "no audio samples in it (0 s)")

    def _mono_at_rate(self) -> Iterator[np.ndarray]:
        chunks = self._source.chunks()
        chunk = next(chunks, None)
        while chunk is not None:
            following = next(chunks, None)
            if self.channel is not None or len(chunk) == 1:
                mono = np.ascontiguousarray(chunk[self.channel or 0], dtype=np.float32)
            else:
                mono = chunk.mean(axis=0, dtype=np.float32)
            if self._resampler is not None:
                mono = self._resampler.resample_chunk(mono, last=following is None)
            if len(mono):
                yield mono
            chunk = following


def _open_source(path: str) -> AvSource | SoundfileSource:
    if is_url(path):
        return AvSource(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InputError(path, "file not found") from None
    except OSError as exc:
        raise InputError(path, f"cannot read ({exc.strerror})") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(path, "is a folder, not a media file")
    if not stat.S_ISREG(info.st_mode):
        return AvSource(path)  # a pipe or device: FFmpeg probes it as a stream, sniffing would eat its start
    if info.st_size == 0:
        raise InputError(path, "empty file (0 bytes)")
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError as exc:
        raise InputError(path, f"cannot read ({exc.strerror})") from None
    if head in SOUNDFILE_MAGIC:
        try:
            return SoundfileSource(path)
        except InputError:
            pass  # AVI and WebP are RIFF files too, and FFmpeg may read what libsndfile cannot
    return AvSource(path)


def open_media(path: str, *, channel: int | None = None, rate: int = ANALYSIS_RATE,
               block_samples: int = ANALYSIS_RATE) -> MediaReader:
    """Open a media file or live URL; ``channel`` picks one channel (0-based), ``None`` mixes all down."""
    return MediaReader(path, channel, rate, block_samples)
