"""Sustained signal tones of other sports: the basketball buzzer and the ice-hockey horn.

Both are loud, steady and harmonic, far above the crowd for a second or more. Every 8 ms frame gives
the strongest peak in the fundamental band (how far it stands over the band's median) and the frame's
level against a slow baseline (the median of the previous 10 s). A run of frames that are tonal at one
pitch (whose strongest partial lies in the band, so whistles and fans' horns above it do not count)
and at least ``rise_db`` above the baseline for ``min_s`` is a detection; its onset is where the level
crosses halfway (in power) from the baseline to the run's level, as for lights out.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from core import ANALYSIS_RATE
from core.dsp.stft import DETECTOR_FFT_SIZE, DETECTOR_HOP, StreamingSTFT
from core.model import Anchor, AudioBlock, SpectrumFrames


@dataclass(frozen=True, slots=True)
class ToneSettings:
    """What one kind of signal tone looks like."""

    kind: str
    band_hz: tuple[float, float]
    min_s: float
    max_s: float
    tone_db: float = 12.0
    rise_db: float = 8.0
    pitch_tolerance: float = 0.05


BUZZER = ToneSettings("buzzer", (150.0, 1500.0), 0.5, 4.0)
HORN = ToneSettings("horn", (80.0, 700.0), 1.0, 8.0)
BASELINE_S = 10.0


class ToneDetector:
    """Streaming: ``feed`` STFT frames, get anchors of ``settings.kind`` once each tone has ended."""

    def __init__(self, settings: ToneSettings, rate: int = ANALYSIS_RATE) -> None:
        self.s = settings
        self.rate = rate
        freqs = np.fft.rfftfreq(DETECTOR_FFT_SIZE, 1.0 / rate)
        self._freqs = freqs
        self._band = np.flatnonzero((freqs >= settings.band_hz[0]) & (freqs <= settings.band_hz[1]))
        self._wide = np.flatnonzero((freqs >= 60.0) & (freqs <= 6000.0))
        self._fps = rate / DETECTOR_HOP
        self._history: deque[float] = deque(maxlen=int(BASELINE_S * self._fps))
        self._run: list[tuple[int, float, float]] = []  # (frame, level dB, pitch Hz)
        self._pre: deque[float] = deque(maxlen=8)  # levels just before the run, for the onset crossing
        self._baseline = 0.0

    def feed(self, frames: SpectrumFrames) -> list[Anchor]:
        """Consume frames in order; return the tones that ended in them."""
        out = []
        for i in range(len(frames)):
            out += self._frame(frames.first + i, frames.power[i])
        return out

    def _frame(self, k: int, power: np.ndarray) -> list[Anchor]:
        band = power[self._band]
        peak = int(np.argmax(band))
        tonal_db = 10.0 * np.log10((band[peak] + 1e-20) / (np.median(band) + 1e-20))
        pitch = float(self._freqs[self._band[peak]])
        level = 10.0 * np.log10(float(np.sum(power[self._wide])) + 1e-20)
        # the tone's own strongest partial must be in the band: a whistle's 3 kHz leaking to the band edge is not
        in_band = band[peak] >= float(np.max(power[self._wide])) and 0 < peak < len(band) - 1
        if not self._run:
            self._baseline = float(np.median(self._history)) if self._history else level
        loud = level >= self._baseline + self.s.rise_db
        same = not self._run or self._same_pitch(pitch)
        if loud and in_band and tonal_db >= self.s.tone_db and same:
            self._run.append((k, level, pitch))
            return []
        out = self._close() if self._run else []
        self._pre.append(level)
        self._history.append(level)
        return out

    def _same_pitch(self, pitch: float) -> bool:
        first = float(np.median([p for _, _, p in self._run[:8]]))
        # a harmonic may take over the peak for a frame: compare against the first frames' pitch and its octaves
        return any(abs(pitch - m * first) <= self.s.pitch_tolerance * m * first for m in (0.5, 1.0, 2.0))

    def _close(self) -> list[Anchor]:
        run, self._run = self._run, []
        for _, level, _ in run:
            self._history.append(level)
        seconds = len(run) / self._fps
        if not self.s.min_s <= seconds <= self.s.max_s:
            return []
        levels = [lv for _, lv, _ in run]
        during = float(np.median(levels))
        mid = 10.0 * np.log10((10 ** (self._baseline / 10) + 10 ** (during / 10)) / 2)
        before = self._pre[-1] if self._pre else self._baseline
        first = run[0][0]
        i = 0
        while i < len(run) and levels[i] < mid:
            before, i = levels[i], i + 1
        y1 = levels[min(i, len(levels) - 1)]
        frac = (mid - before) / (y1 - before) if y1 > before else 1.0
        centre = (first + i - 1 + float(np.clip(frac, 0.0, 1.0))) * DETECTOR_HOP + DETECTOR_FFT_SIZE / 2
        rise = during - self._baseline
        confidence = float(np.clip((rise - self.s.rise_db) / 10.0, 0.0, 0.5) + 0.5)
        pitch = float(np.median([p for _, _, p in run]))
        end = (run[-1][0] + 1) * DETECTOR_HOP + DETECTOR_FFT_SIZE // 2
        return [Anchor(self.s.kind, int(round(centre)), end, round(confidence, 3), (round(pitch, 1),))]


def detect_tones(samples: np.ndarray, settings: ToneSettings, rate: int = ANALYSIS_RATE) -> list[Anchor]:
    """Tones of one kind in a whole signal (the streaming detector over one block, then its end)."""
    detector = ToneDetector(settings, rate)
    stft = StreamingSTFT()
    tail = np.zeros(DETECTOR_FFT_SIZE, np.float32)  # a silent end closes a tone still sounding
    return detector.feed(stft.feed(AudioBlock(0, np.concatenate([np.asarray(samples, np.float32), tail]))))
