"""An LTC track: media sample index -> the timecode LTC on another channel carried there, built causally.

Decoded frames are grouped into segments: a frame continues the current segment when its frame number
is the one the sample distance from the previous frame predicts (frames lost to noise in between are
fine, up to ``MAX_GAP_S``); anything else is a break and starts a new segment. A lookup answers only
inside a segment's decoded span (timecode of the segment's origin + whole frames elapsed at the
detected rate); before the first frame, in a gap between segments, or past the last decoded frame it
answers None: LTC is never guessed across a break or ahead of what has been read.
"""
from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass, replace
from fractions import Fraction

from core import ANALYSIS_RATE
from core.clock import MediaClock
from core.ltc.decode import LtcFrame
from core.ltc.smpte import RATES, frame_count, timecode_at

MAX_GAP_S = 1.0
"""Longest stretch without a decoded frame that one segment bridges."""


@dataclass(slots=True)
class LtcSegment:
    """Frames that follow one another; positions in samples at the track's native rate."""

    first_count: int
    first_start: int
    last_count: int
    last_start: int
    last_end: int
    offset_sum: float
    frames: int

    def origin(self) -> float:
        """Where frame ``first_count`` starts, averaged over every frame of the segment."""
        return self.offset_sum / self.frames


class LtcTrack:
    """Add decoded frames as the source plays (any thread); ``at(n)`` gives the LTC at media sample n."""

    def __init__(self, native_rate: int, media_rate: int = ANALYSIS_RATE) -> None:
        self.native_rate = native_rate
        self.media_rate = media_rate
        self.fps: str | None = None
        self.segments: list[LtcSegment] = []
        self._pending: list[LtcFrame] = []
        self._lock = threading.Lock()

    def add(self, frames: list[LtcFrame], fps: str | None) -> None:
        """Frames just decoded, and the frame rate detected so far (None: held until it is known)."""
        with self._lock:
            self._pending += frames
            if fps is None:
                return
            if self.fps is not None and fps != self.fps:  # the rate changed: a new timecode, a new track
                self.segments = []
            self.fps = fps
            for frame in self._pending:
                self._place(frame)
            self._pending = []

    def _place(self, frame: LtcFrame) -> None:
        per_frame = self._samples_per_frame()
        count = frame_count(frame.timecode, self.fps)
        seg = self.segments[-1] if self.segments else None
        if seg is not None:
            distance = frame.start - seg.last_start
            expected = seg.last_count + round(distance / per_frame)
            if count == expected and 0 < distance <= MAX_GAP_S * self.native_rate + per_frame:
                seg.last_count, seg.last_start, seg.last_end = count, frame.start, frame.end
                seg.offset_sum += frame.start - float((count - seg.first_count) * per_frame)
                seg.frames += 1
                return
        self.segments.append(LtcSegment(count, frame.start, count, frame.start, frame.end, float(frame.start), 1))

    def _samples_per_frame(self) -> Fraction:
        return self.native_rate / RATES[self.fps][0]

    def at(self, n: int) -> str | None:
        """The LTC timecode at media sample ``n`` (SMPTE text, ';' before the frames when drop-frame)."""
        x = Fraction(n * self.native_rate, self.media_rate)
        with self._lock:
            i = bisect.bisect_right([s.first_start for s in self.segments], x) - 1
            if i < 0 or x > self.segments[i].last_end:
                return None
            seg = self.segments[i]
            elapsed = int((x - Fraction(seg.origin())) // self._samples_per_frame())
            return str(timecode_at(seg.first_count + elapsed, self.fps))


def with_ltc(draft, track: LtcTrack | None, media: MediaClock):
    """A publication draft carrying the LTC at its media time ``draft.t`` (unchanged without a track)."""
    if track is None:
        return draft
    ltc = track.at(media.sample(draft.t))
    return replace(draft, ltc=ltc, ltc_fps=track.fps if ltc else None)
