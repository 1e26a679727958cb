"""The one media clock: sample indices at the analysis rate, and the views derived from them."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from timecode import Timecode

from core import ANALYSIS_RATE

FRAME_RATES: dict[str, Fraction] = {
    "24": Fraction(24),
    "25": Fraction(25),
    "29.97": Fraction(30000, 1001),
    "30": Fraction(30),
    "50": Fraction(50),
    "59.94": Fraction(60000, 1001),
}
"""Frame rates the product offers, by the name an operator sees. 29.97 and 59.94 are drop-frame."""


@dataclass(frozen=True, slots=True)
class MediaClock:
    """Converts between sample indices and seconds, frames and SMPTE timecode."""

    rate: int = ANALYSIS_RATE

    def seconds(self, n: int) -> float:
        """Seconds from the first sample for sample index ``n``."""
        return n / self.rate

    def sample(self, t: float) -> int:
        """Nearest sample index for ``t`` seconds."""
        return int(round(t * self.rate))

    def frame_duration_samples(self, fps: str) -> float:
        """Length of one video frame in samples at the named frame rate."""
        return float(self.rate / FRAME_RATES[fps])

    def timecode(self, n: int, fps: str = "25", start: str = "00:00:00:00") -> str:
        """SMPTE timecode of sample ``n`` (drop-frame for 29.97 and 59.94), counted from ``start``."""
        rate = FRAME_RATES[fps]
        frames = int(Fraction(max(n, 0), self.rate) * rate)
        tc = Timecode(fps, start_timecode=start) + frames
        return str(tc)
