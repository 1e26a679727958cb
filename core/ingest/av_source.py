"""Anything FFmpeg reads (MP4, MKV, MPEG-TS, MP3, AAC, live URLs) decoded through PyAV in native-rate chunks.

Each decoded frame is placed on the media clock by its PTS (sample 0 = the first decoded audio sample):
- a forward jump is a dropout: filled with silence, so later samples keep their true index, and recorded;
- frames that overlap what was already emitted are trimmed, for the same reason;
- in formats whose timestamps may restart (MPEG-TS, HLS: a splice or an encoder restart), a jump back,
  or forward by more than ``DISCONTINUITY_S``, is a discontinuity instead: the clock carries on
  contiguously from there, and the place is recorded.
Frames whose rate or channel layout differ from the stream's first (a broadcast switching 5.1 to stereo,
48 to 44.1 kHz) are converted back to it by FFmpeg's resampler, so a chosen channel stays meaningful.
"""
from __future__ import annotations

from collections.abc import Iterator

import av
import numpy as np

from core.errors import InputError

GAP_TOLERANCE_S = 0.002
"""PTS jitter below this (container time-base rounding, e.g. Matroska's 1 ms) is not a dropout."""

DISCONTINUITY_S = 10.0
"""In formats that allow timestamp discontinuities, a bigger forward jump is a restart of the timestamps
(as ffmpeg's own ``dts_delta_threshold``), not a dropout."""

LIVE_TIMEOUT_S = (10.0, 5.0)
"""(open, read) timeouts for live URLs; a sender that stops shows up after the read timeout."""

_INT_SCALE = {np.dtype(np.int16): 2.0**15, np.dtype(np.int32): 2.0**31, np.dtype(np.int64): 2.0**63}


def is_url(path: str) -> bool:
    """True for a network source such as udp://, srt://, rtmp:// or an http(s) HLS playlist."""
    return "://" in path


class AvSource:
    """Native-rate float32 chunks, shape (channels, n), from the first audio stream FFmpeg finds."""

    def __init__(self, path: str) -> None:
        try:
            self._container = av.open(path, timeout=LIVE_TIMEOUT_S if is_url(path) else None)
        except av.error.FFmpegError as exc:
            problem = "cannot connect or no stream" if is_url(path) else "not a media file, or its header is corrupt"
            raise InputError(path, f"{problem} ({exc.strerror})") from None
        if not self._container.streams.audio:
            kinds = sorted({s.type for s in self._container.streams})
            text = self._container.format.name == "tty"
            self._container.close()
            if not kinds or text:
                raise InputError(path, "not a media file (no audio or video inside)")
            raise InputError(path, f"no audio stream (only {', '.join(kinds)})")
        self._stream = self._container.streams.audio[0]
        ctx = self._stream.codec_context
        self.native_rate: int = ctx.sample_rate
        self.channels: int = ctx.layout.nb_channels
        if not self.native_rate or not self.channels:
            self._container.close()
            raise InputError(path, "audio stream has no sample rate or channel layout")
        self._layout = ctx.layout.name
        self._restarts = bool(self._container.format.flags & av.format.Flags.ts_discont.value)
        self.duration_s = _duration(self._container, self._stream)
        self.dropouts: list[tuple[int, int]] = []
        self.discontinuities: list[int] = []
        self.damage: str | None = None
        self._emitted = 0
        self._origin: float | None = None

    def chunks(self) -> Iterator[np.ndarray]:
        """Decoded audio with dropouts filled by silence; undecodable packets are skipped and noted."""
        bad_packets, first_bad_s = 0, 0.0
        conform: av.AudioResampler | None = None
        packets = self._container.demux(self._stream)
        while True:
            try:
                packet = next(packets)
            except StopIteration:
                break
            except av.error.FFmpegError as exc:
                self.damage = f"read failed at {self._emitted / self.native_rate:.2f} s ({exc.strerror})"
                break
            try:
                frames = packet.decode()
            except av.error.FFmpegError:
                first_bad_s = first_bad_s if bad_packets else self._emitted / self.native_rate
                bad_packets += 1
                continue
            for frame in frames:
                if (frame.sample_rate, frame.layout.nb_channels) == (self.native_rate, self.channels):
                    if conform is not None:  # back to the stream's own format: let the converter's tail out
                        yield from self._place(None, _joined(conform.resample(None), self.channels))
                        conform = None
                    samples = _planar_float32(frame)
                else:
                    conform = conform or av.AudioResampler(format="fltp", layout=self._layout, rate=self.native_rate)
                    samples = _joined(conform.resample(frame), self.channels)
                yield from self._place(None if frame.pts is None else frame.pts * float(frame.time_base), samples)
        if conform is not None:
            yield from self._place(None, _joined(conform.resample(None), self.channels))
        self._note_damage(bad_packets, first_bad_s)

    def _place(self, seconds: float | None, samples: np.ndarray) -> Iterator[np.ndarray]:
        """Put ``samples`` on the media clock at ``seconds`` (None: right after what came before)."""
        if seconds is not None:
            self._origin = seconds if self._origin is None else self._origin
            jump = round((seconds - self._origin) * self.native_rate) - self._emitted
            tolerance = GAP_TOLERANCE_S * self.native_rate
            if self._restarts and (jump < -tolerance or jump > DISCONTINUITY_S * self.native_rate):
                self._origin += jump / self.native_rate
                self.discontinuities.append(self._emitted)
            elif jump > tolerance:
                self.dropouts.append((self._emitted, jump))
                self._emitted += jump
                yield np.zeros((self.channels, jump), np.float32)
            elif jump < -tolerance:
                samples = samples[:, -jump:]
        if samples.shape[1]:
            self._emitted += samples.shape[1]
            yield samples

    def _note_damage(self, bad_packets: int, first_bad_s: float) -> None:
        decoded_s = self._emitted / self.native_rate
        if bad_packets and self.damage is None:
            self.damage = f"corrupt: {bad_packets} undecodable packet(s), the first at {first_bad_s:.2f} s"
        if self.damage is None and self.duration_s is not None and not self.discontinuities:
            if decoded_s < self.duration_s - max(0.5, 0.01 * self.duration_s):
                self.damage = f"truncated: the header promises {self.duration_s:.2f} s, {decoded_s:.2f} s decode"

    def close(self) -> None:
        """Release the container (and the network connection of a live source)."""
        self._container.close()


def _duration(container: av.container.InputContainer, stream: av.audio.AudioStream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


def _joined(frames: list[av.AudioFrame], channels: int) -> np.ndarray:
    parts = [_planar_float32(f) for f in frames]
    return np.concatenate(parts, axis=1) if parts else np.zeros((channels, 0), np.float32)


def _planar_float32(frame: av.AudioFrame) -> np.ndarray:
    """The frame as float32 in [-1, 1), shape (channels, samples)."""
    data = frame.to_ndarray()
    if not frame.format.is_planar:
        data = data.reshape(-1, len(frame.layout.channels)).T
    if data.dtype.kind == "f":
        return data.astype(np.float32, copy=False)
    if data.dtype == np.uint8:
        return (data.astype(np.float32) - 128.0) / 128.0
    return (data / _INT_SCALE[data.dtype]).astype(np.float32)
