"""The Formula One start: five start-light beeps a second apart, then lights out (the field launches).

Every 8 ms STFT frame gives a tonal strength (the strongest bin over the median of the band), its frequency
and the level of everything else. Beeps are runs of tonal frames at one pitch. Five beeps whose onsets are
a second apart arm the detector; lights out is the first lasting rise of the non-tonal level (engines at
launch) 0.15-3.6 s after the fifth beep, timed where the frame power crosses the midpoint between the
level before and after: a Hann window is half past a step exactly there, so the estimate is unbiased.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core import ANALYSIS_RATE
from core.dsp.stft import DETECTOR_FFT_SIZE, DETECTOR_HOP, StreamingSTFT
from core.model import Anchor, AudioBlock, SpectrumFrames


@dataclass(frozen=True, slots=True)
class StartLightsSettings:
    """Thresholds of the start-lights detector."""

    band_hz: tuple[float, float] = (400.0, 4000.0)
    tone_db: float = 14.0
    beep_s: tuple[float, float] = (0.06, 0.7)
    gap_s: tuple[float, float] = (0.9, 1.1)
    length_ratio: float = 1.5
    """The five beeps are one sound: the longest at most this many times the shortest."""
    pitch_tolerance: float = 0.04
    lights_out_s: tuple[float, float] = (0.15, 3.6)
    rise_db: float = 6.0
    hold_s: float = 0.3
    reference_s: float = 1.0


@dataclass(frozen=True, slots=True)
class Beep:
    """A run of tonal frames ``first``..``last``; its pitch is the mean of the frames' interpolated peaks."""

    first: int
    last: int
    pitch_sum: float
    frames: int = 1

    @property
    def freq_hz(self) -> float:
        return self.pitch_sum / self.frames


class StartLightsDetector:
    """Streaming: ``feed`` STFT frames, get ``lights_out`` (and ``start_beeps``) anchors once they are certain."""

    def __init__(self, rate: int = ANALYSIS_RATE, settings: StartLightsSettings = StartLightsSettings()) -> None:
        self.rate = rate
        self.s = settings
        self.hop = DETECTOR_HOP
        freqs = np.fft.rfftfreq(DETECTOR_FFT_SIZE, 1.0 / rate)
        self._band = np.flatnonzero((freqs >= settings.band_hz[0]) & (freqs <= settings.band_hz[1]))
        self._wide = np.flatnonzero((freqs >= 60.0) & (freqs <= 6000.0))
        self._freqs = freqs
        self._base = 0  # frame index of _level[0]
        self._level: list[float] = []
        self._beeps: list[Beep] = []
        self._open: Beep | None = None
        self._armed: list[Beep] | None = None
        self._frames_per_s = rate / self.hop

    def feed(self, frames: SpectrumFrames) -> list[Anchor]:
        """Consume frames (in order); return the anchors completed by them."""
        out = []
        for i in range(len(frames)):
            out += self._frame(frames.first + i, frames.power[i])
        return out

    def _frame(self, k: int, power: np.ndarray) -> list[Anchor]:
        band = power[self._band]
        floor = float(np.median(band)) + 1e-20
        strongest = int(np.argmax(band))
        tonal = False
        b = self._open
        if b is not None:  # a beep goes on while its own pitch stands out (a little less than it had to start)
            i = int(np.searchsorted(self._freqs[self._band], b.freq_hz))
            i = min(max(i, 1), len(band) - 2)
            local = i - 1 + int(np.argmax(band[i - 1:i + 2]))
            tonal = 10.0 * np.log10(band[local] / floor + 1e-20) >= self.s.tone_db - 4.0
            louder_elsewhere = abs(strongest - local) > 2 and band[strongest] > 4.0 * band[local]
            if tonal and not louder_elsewhere:
                self._open = Beep(b.first, k, b.pitch_sum + self._pitch(band, local), b.frames + 1)
            else:
                self._close(b)
                self._open = None
                tonal = False
        if self._open is None:
            local = strongest
            tonal = 10.0 * np.log10(band[local] / floor + 1e-20) >= self.s.tone_db
            if tonal:
                self._open = Beep(k, k, self._pitch(band, local))
        total = float(np.sum(power[self._wide]))
        if tonal:
            centre = self._band[local]
            total -= float(np.sum(power[centre - 3:centre + 4]))
        self._level.append(10.0 * np.log10(max(total, 1e-20)))
        out = self._lights_out(k) if self._armed else []
        keep_from = k - int(8 * self._frames_per_s)
        if keep_from - self._base > 4 * self._frames_per_s:
            self._level = self._level[keep_from - self._base:]
            self._base = keep_from
        return out

    def _pitch(self, band: np.ndarray, i: int) -> float:
        """Frequency of the peak at band bin ``i``, interpolated on the log spectrum."""
        centre = float(self._freqs[self._band[i]])
        if not 0 < i < len(band) - 1:
            return centre
        y0, y1, y2 = np.log(band[i - 1:i + 2] + 1e-20)
        denom = y0 - 2 * y1 + y2
        shift = 0.5 * (y0 - y2) / denom if denom < 0 else 0.0
        return centre + float(np.clip(shift, -0.5, 0.5)) * (self._freqs[1] - self._freqs[0])

    def _close(self, b: Beep) -> None:
        """Keep a beep of the right length; five of one pitch, onsets a second apart, arm the lights-out search."""
        fps = self._frames_per_s
        if not self.s.beep_s[0] <= (b.last - b.first + 1) / fps <= self.s.beep_s[1]:
            return
        self._beeps = [x for x in self._beeps if b.first - x.first <= 6 * fps] + [b]
        chain = [b]
        for x in reversed(self._beeps[:-1]):
            gap = (chain[-1].first - x.first) / fps
            same_pitch = abs(x.freq_hz - b.freq_hz) <= self.s.pitch_tolerance * b.freq_hz
            lengths = [y.last - y.first + 1 for y in (*chain, x)]
            alike = max(lengths) <= self.s.length_ratio * min(lengths)
            if same_pitch and alike and self.s.gap_s[0] <= gap <= self.s.gap_s[1]:
                chain.append(x)
        if len(chain) >= 5:
            self._armed = chain[4::-1]
            self._beeps = []

    def _lights_out(self, k: int) -> list[Anchor]:
        fifth = self._armed[-1]
        fps = self._frames_per_s
        lo = fifth.first + int(self.s.lights_out_s[0] * fps)
        hi = fifth.first + int(self.s.lights_out_s[1] * fps)
        hold = int(self.s.hold_s * fps)
        if k < lo + hold:
            return []
        level = np.asarray(self._level)
        ref_from = max(self._base, fifth.first - int(self.s.reference_s * fps))
        before = float(np.median(level[ref_from - self._base:lo - self._base]))
        searched_to = min(k - hold, hi)
        for j in range(max(lo, fifth.last + 1), searched_to + 1):
            after = level[j - self._base:j - self._base + hold]
            if level[j - self._base] >= before + self.s.rise_db and np.median(after) >= before + self.s.rise_db:
                return self._anchor(j, before, float(np.median(after)))
        if searched_to >= hi:
            self._armed = None  # the beeps were not followed by a launch
        return []

    def _anchor(self, j: int, before_db: float, after_db: float) -> list[Anchor]:
        beeps, self._armed = self._armed, None
        level = np.asarray(self._level)
        mid = 10.0 * np.log10((10 ** (before_db / 10) + 10 ** (after_db / 10)) / 2)
        i = j
        while i - 1 - self._base >= 0 and level[i - 1 - self._base] >= mid:
            i -= 1
        while level[i - self._base] < mid:
            i += 1
        y0, y1 = level[i - 1 - self._base], level[i - self._base]
        frac = (mid - y0) / (y1 - y0) if y1 > y0 else 1.0
        centre = (i - 1 + frac) * self.hop + DETECTOR_FFT_SIZE / 2
        gaps = np.diff([b.first for b in beeps]) / self._frames_per_s
        regular = float(np.clip(1.0 - np.max(np.abs(gaps - 1.0)) / 0.15, 0.0, 1.0))
        strong = float(np.clip((after_db - before_db - 3.0) / 5.0, 0.0, 1.0))
        n = int(round(centre))
        hop = self.hop
        return [Anchor("start_beeps", beeps[0].first * hop, (beeps[-1].last + 1) * hop + DETECTOR_FFT_SIZE,
                       regular, (round(beeps[-1].freq_hz, 1),)),
                Anchor("lights_out", n, n + int(self.s.hold_s * self.rate), round(0.5 + 0.5 * regular * strong, 3),
                       gain_lu=None)]


def detect_start(samples: np.ndarray, rate: int = ANALYSIS_RATE) -> list[Anchor]:
    """Start-light anchors in a whole signal at ``rate`` (the streaming detector over one block)."""
    stft = StreamingSTFT()
    detector = StartLightsDetector(rate)
    return detector.feed(stft.feed(AudioBlock(0, np.asarray(samples, np.float32))))
