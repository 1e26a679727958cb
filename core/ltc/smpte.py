"""The SMPTE 12M linear-timecode frame: timecode fields, the 80-bit layout and drop-frame counting."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

RATES: dict[str, tuple[Fraction, bool]] = {
    "24": (Fraction(24), False),
    "25": (Fraction(25), False),
    "29.97": (Fraction(30000, 1001), True),
    "30": (Fraction(30), False),
}
"""LTC frame rates by name: (frames per second, drop-frame counting)."""

SYNC_WORD = 0x3FFD
"""Bits 64-79, sent as 0011 1111 1111 1101 (bit 64 first)."""

# (first bit, width) of each BCD digit, least significant bit first on the wire
_FIELDS = {"frame_units": (0, 4), "frame_tens": (8, 2), "secs_units": (16, 4), "secs_tens": (24, 3),
           "mins_units": (32, 4), "mins_tens": (40, 3), "hours_units": (48, 4), "hours_tens": (56, 2)}
DROP_FRAME_BIT = 10
COLOUR_FRAME_BIT = 11


def polarity_bit(fps_name: str) -> int:
    """The biphase-mark polarity correction bit: 59 at 25 fps, 27 at the 30-frame family and 24 fps."""
    return 59 if fps_name == "25" else 27


@dataclass(frozen=True, slots=True, order=True)
class Timecode:
    """HH:MM:SS:FF; ``drop`` marks drop-frame counting (printed with ';' before the frames)."""

    hours: int
    mins: int
    secs: int
    frame: int
    drop: bool = False

    def __str__(self) -> str:
        return f"{self.hours:02d}:{self.mins:02d}:{self.secs:02d}{';' if self.drop else ':'}{self.frame:02d}"


def nominal_fps(fps_name: str) -> int:
    """Frames counted per timecode second: 24, 25 or 30."""
    return round(RATES[fps_name][0])


def timecode_at(count: int, fps_name: str) -> Timecode:
    """The timecode of frame ``count`` (0 = 00:00:00:00), skipping frames 0 and 1 of most minutes when drop-frame."""
    fps, drop = RATES[fps_name]
    nominal = nominal_fps(fps_name)
    if drop:
        per_10min, per_min = 17982, 1798
        tens, rest = divmod(count, per_10min)
        count += 18 * tens + (2 * ((rest - 2) // per_min) if rest > 1 else 0)
    frame = count % nominal
    secs_total = count // nominal
    return Timecode((secs_total // 3600) % 24, (secs_total // 60) % 60, secs_total % 60, frame, drop)


def frame_count(tc: Timecode, fps_name: str) -> int:
    """Inverse of ``timecode_at``: the running frame number of a timecode."""
    nominal = nominal_fps(fps_name)
    count = ((tc.hours * 60 + tc.mins) * 60 + tc.secs) * nominal + tc.frame
    if RATES[fps_name][1]:
        minutes = tc.hours * 60 + tc.mins
        count -= 2 * (minutes - minutes // 10)
    return count


def frame_bits(tc: Timecode, fps_name: str) -> np.ndarray:
    """The 80 bits of one LTC frame (bit 0 first), user bits zero, polarity bit making the count of ones even."""
    bits = np.zeros(80, np.uint8)
    digits = {"frame_units": tc.frame % 10, "frame_tens": tc.frame // 10, "secs_units": tc.secs % 10,
              "secs_tens": tc.secs // 10, "mins_units": tc.mins % 10, "mins_tens": tc.mins // 10,
              "hours_units": tc.hours % 10, "hours_tens": tc.hours // 10}
    for name, (first, width) in _FIELDS.items():
        for i in range(width):
            bits[first + i] = (digits[name] >> i) & 1
    bits[DROP_FRAME_BIT] = int(tc.drop)
    for i in range(16):
        bits[64 + i] = (SYNC_WORD >> (15 - i)) & 1
    bits[polarity_bit(fps_name)] = int(bits.sum()) & 1
    return bits


def parse_bits(bits: np.ndarray) -> Timecode:
    """The timecode held in 80 frame bits (bit 0 first)."""
    value = {name: sum(int(bits[first + i]) << i for i in range(width)) for name, (first, width) in _FIELDS.items()}
    return Timecode(value["hours_tens"] * 10 + value["hours_units"], value["mins_tens"] * 10 + value["mins_units"],
                    value["secs_tens"] * 10 + value["secs_units"], value["frame_tens"] * 10 + value["frame_units"],
                    bool(bits[DROP_FRAME_BIT]))
