"""Speech for commentary and PA announcements: espeak-ng when installed, otherwise a speech-like babble."""
from __future__ import annotations

import io
import shutil
import subprocess
from functools import lru_cache

import numpy as np
import soundfile as sf
import soxr

from core.sim.effects import bandpass
from core.sim.onsets import SIM_RATE

COMMENTARY = (
    "And he goes down, the referee has seen it.",
    "Lovely ball through the middle, but it is cleared.",
    "They are pressing high now, looking for the equaliser.",
    "A tidy spell of possession for the home side.",
    "The crowd are right behind them this afternoon.",
    "Good work down the left, the cross is overhit.",
    "That is a smart tactical change from the manager.",
    "He has been the best player on the pitch so far.",
    "Plenty of time left, but they need to be patient.",
    "Great defending, timed it perfectly.",
    "The keeper has it, and he takes his time.",
    "What a chance that was, he really should have scored.",
)
PA = (
    "Ladies and gentlemen, welcome to the stadium.",
    "Today's attendance is forty one thousand, two hundred.",
    "Please do not enter the pitch at any time.",
    "The next home match is on Saturday, tickets on sale now.",
)
_VOICES = ("en-gb", "en-us", "en-gb-scotland")


@lru_cache(maxsize=64)
def speak(text: str, voice: str, speed: int) -> np.ndarray:
    """``text`` spoken at SIM_RATE, unit peak (espeak-ng with a fixed voice and speed, or a babble)."""
    if shutil.which("espeak-ng"):
        wav = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "--stdout", text],
                             capture_output=True, check=True).stdout
        data, rate = sf.read(io.BytesIO(wav), dtype="float32")
        out = soxr.resample(data, rate, SIM_RATE, quality="HQ").astype(np.float32)
    else:
        out = babble(np.random.Generator(np.random.PCG64(sum(map(ord, text)))), 0.065 * len(text))
    return out / np.float32(max(1e-9, float(np.abs(out).max())))


def pick_voice(rng: np.random.Generator) -> tuple[str, int]:
    """A voice and a speed (words per minute)."""
    return _VOICES[int(rng.integers(len(_VOICES)))], int(rng.integers(150, 185))


def babble(rng: np.random.Generator, seconds: float) -> np.ndarray:
    """A speech-like sound: a jittered glottal pulse train through two moving formants, in syllables."""
    n = int(seconds * SIM_RATE)
    f0 = 110.0 + 25.0 * np.sin(np.linspace(0.0, 3.0, n)) * rng.uniform(0.5, 1.0)
    phase = np.cumsum(f0 / SIM_RATE)
    pulses = (np.diff(np.floor(phase), prepend=0.0) > 0).astype(np.float32)
    out = np.zeros(n, np.float32)
    syllable = int(0.2 * SIM_RATE)
    for s in range(0, n, syllable):
        seg = pulses[s:s + syllable]
        f1, f2 = float(rng.uniform(300, 800)), float(rng.uniform(900, 2400))
        voiced = bandpass(seg, f1 * 0.8, f1 * 1.25) + 0.5 * bandpass(seg, f2 * 0.85, f2 * 1.2)
        out[s:s + len(seg)] = voiced * np.hanning(len(seg)).astype(np.float32)
    return out
