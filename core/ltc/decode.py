"""Streaming LTC decoding with libltc: frames with their sample spans, and the frame rate they run at."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.errors import InputError
from core.ingest.media import open_media
from core.ltc import libltc
from core.ltc.smpte import RATES, Timecode, frame_count

CHUNK = 4096
"""Samples handed to libltc at a time, whatever the block sizes pushed (the result never depends on them)."""
TARGET_PEAK = 0.8
"""Quiet LTC is brought up to this peak first: libltc reads samples as 8 bits, -30 dBFS would keep 4 steps."""
PEAK_DECAY = 0.5
"""The level follower halves its held peak per chunk once the signal falls (about 10 chunks a second)."""


@dataclass(frozen=True, slots=True)
class LtcFrame:
    """One decoded frame: its timecode and the samples (at the reader's rate) its bits occupy."""

    timecode: Timecode
    raw: bytes
    """The 80 frame bits as libltc holds them: bit i is bit i % 8 of byte i // 8."""
    start: int
    end: int
    reverse: bool
    volume_dbfs: float


class LtcReader:
    """Feed blocks of one audio channel carrying LTC; ``push`` returns the frames completed so far."""

    def __init__(self, rate: int, fps_hint: float = 25.0) -> None:
        self.rate = rate
        self._decoder = libltc.Decoder(int(round(rate / fps_hint)))
        self._pending = np.zeros(0, np.float32)
        self._position = 0
        self._peak = 0.0
        self._durations: list[int] = []
        self._last_start: int | None = None
        self._drop_seen = False
        self._most_frames = 0

    def push(self, samples: np.ndarray) -> list[LtcFrame]:
        """Decode ``samples`` (float, mono); frames come out once libltc has seen their last bit."""
        self._pending = np.concatenate([self._pending, np.asarray(samples, np.float32)])
        whole = len(self._pending) - len(self._pending) % CHUNK
        frames = []
        for i in range(0, whole, CHUNK):
            frames += self._decode(self._pending[i:i + CHUNK])
        self._pending = self._pending[whole:]
        return frames

    def flush(self) -> list[LtcFrame]:
        """Decode what is left at the end of the input, closing the last bit with the flip that ends it."""
        rest, self._pending = self._pending, np.zeros(0, np.float32)
        tail = rest[-16:] if len(rest) else np.zeros(1, np.float32)
        closing = np.full(self.rate // 500, -np.sign(np.mean(tail)) * self._peak, np.float32)
        return self._decode(np.concatenate([rest, closing]))

    def frame_rate(self) -> tuple[str, float] | None:
        """(name, measured frames per second) of the LTC seen so far; None before two frames."""
        if not self._durations:
            return None
        durations = np.asarray(self._durations, np.float64)
        typical = durations[np.abs(durations - np.median(durations)) < 0.05 * np.median(durations)]
        measured = self.rate / float(np.mean(typical))
        if self._drop_seen:
            return "29.97", measured
        name = min((n for n, (_, drop) in RATES.items() if not drop), key=lambda n: abs(float(RATES[n][0]) - measured))
        return name, measured

    def _decode(self, chunk: np.ndarray) -> list[LtcFrame]:
        peak = float(np.max(np.abs(chunk)))
        self._peak = max(peak, self._peak * PEAK_DECAY)
        gain = TARGET_PEAK / self._peak if self._peak > 1e-5 else 1.0
        self._decoder.write(chunk * np.float32(gain), self._position)
        self._position += len(chunk)
        frames = []
        for tc, raw, start, end, reverse, volume in self._decoder.read():
            frames.append(LtcFrame(tc, raw, start, end, reverse, volume))
            if self._last_start is not None and 0 < start - self._last_start < self.rate:
                self._durations.append(start - self._last_start)
            self._last_start = start
            self._drop_seen |= tc.drop
        return frames


def decode_file(path: str, *, channel: int | None = None, rate: int = 48_000) -> tuple[list[LtcFrame], str | None]:
    """Every LTC frame of ``path`` (one channel or the mix-down) and the frame rate's name; InputError if none."""
    reader = LtcReader(rate)
    frames: list[LtcFrame] = []
    with open_media(path, channel=channel, rate=rate, block_samples=rate) as media:
        for block in media:
            frames += reader.push(block.samples)
    frames += reader.flush()
    if not frames:
        raise InputError(path, "no LTC found" + ("" if channel is None else f" on channel {channel}"))
    found = reader.frame_rate()
    return frames, None if found is None else found[0]


def feed_timecode(path: str, channel: int, rate: int = 48_000) -> dict:
    """A feed's LTC as its timecode: the rate, the first frame's timecode and feed time, frames read, breaks.

    A break is a frame that does not follow the previous one (the generator was reset or the tape cut).
    """
    frames, rate_name = decode_file(path, channel=channel, rate=rate)
    breaks = []
    if rate_name is not None:
        counts = [frame_count(f.timecode, rate_name) for f in frames]
        breaks = [round(f.start / rate, 3) for f, a, b in zip(frames[1:], counts, counts[1:]) if b != a + 1]
    first = frames[0]
    return {"fps": rate_name, "timecode": str(first.timecode), "t_f": round(first.start / rate, 4),
            "frames": len(frames), "breaks_t_f": breaks}
