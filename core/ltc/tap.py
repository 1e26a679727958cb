"""A media file played at live pace whose LTC channel is decoded into an LtcTrack as it plays, while the
other channels (their mix-down, or one chosen channel) are the analysed audio."""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from core import ANALYSIS_RATE
from core.errors import InputError
from core.ingest.media import MediaReader
from core.live.sources import BLOCK_SAMPLES, PacedFileSource
from core.ltc.decode import LtcReader
from core.ltc.track import LtcTrack


class LtcTapReader(MediaReader):
    """A MediaReader that hands channel ``ltc_channel`` to ``track`` (at the native rate, one chunk ahead of
    the analysed audio, so the LTC of a block is known when the block is analysed) and leaves it out of
    the mix-down."""

    def __init__(self, path: str, channel: int | None, ltc_channel: int, track: LtcTrack | None,
                 rate: int, block_samples: int) -> None:
        super().__init__(path, channel, rate, block_samples)
        if not 0 <= ltc_channel < self.channels:
            self._source.close()
            raise InputError(path, f"LTC channel {ltc_channel} does not exist "
                                   f"(channels are 0 to {self.channels - 1})")
        if self.channels < 2 or channel == ltc_channel:
            self._source.close()
            raise InputError(path, f"channel {ltc_channel} carries LTC: the analysed audio needs another channel")
        self.ltc_channel = ltc_channel
        self.track = track
        self._ltc = LtcReader(self.native_rate)

    def _listen(self, chunk: np.ndarray) -> None:
        frames = self._ltc.push(chunk[self.ltc_channel])
        if self.track is not None:
            self.track.add(frames, _rate_name(self._ltc))

    def _mono_at_rate(self) -> Iterator[np.ndarray]:
        programme = [c for c in range(self.channels) if c != self.ltc_channel] if self.channel is None \
            else [self.channel]
        chunks = self._source.chunks()
        chunk = next(chunks, None)
        if chunk is not None:
            self._listen(chunk)
        while chunk is not None:
            following = next(chunks, None)
            if following is not None:
                self._listen(following)
            elif self.track is not None:
                self.track.add(self._ltc.flush(), _rate_name(self._ltc))
            mono = np.ascontiguousarray(chunk[programme].mean(axis=0), dtype=np.float32)
            if self._resampler is not None:
                mono = self._resampler.resample_chunk(mono, last=following is None)
            if len(mono):
                yield mono
            chunk = following


def _rate_name(reader: LtcReader) -> str | None:
    found = reader.frame_rate()
    return None if found is None else found[0]


def check_ltc_channel(path: str, ltc_channel: int, channel: int | None = None) -> None:
    """Raise InputError now when ``path`` cannot be read with LTC on ``ltc_channel``."""
    with LtcTapReader(path, channel, ltc_channel, None, ANALYSIS_RATE, BLOCK_SAMPLES):
        pass


class LtcFileSource(PacedFileSource):
    """A media file at live pace with LTC on ``ltc_channel``: ``track`` fills in as the file plays."""

    def __init__(self, path: str, ltc_channel: int, speed: float = 1.0, resume_n: int = 0,
                 channel: int | None = None) -> None:
        with LtcTapReader(path, channel, ltc_channel, None, ANALYSIS_RATE, BLOCK_SAMPLES) as reader:
            self.track = LtcTrack(reader.native_rate)  # a bad file or channel raises InputError now
        self.ltc_channel = ltc_channel
        super().__init__(path, speed, resume_n, channel)

    def _blocks(self) -> Iterator[np.ndarray]:
        with LtcTapReader(self.path, self.channel, self.ltc_channel, self.track, self.rate, BLOCK_SAMPLES) as media:
            for block in media:
                yield block.samples
