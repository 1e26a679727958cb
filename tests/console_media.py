"""Media for the console tests: a short match excerpt built from a real referee whistle recording."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

RATE = 48_000


def write_excerpt(shared_data: Path, out: Path, seconds: float = 14.0,
                  whistles_at: tuple[float, ...] = (4.0, 10.0)) -> Path:
    """A WAV of crowd-like noise with the Tux Football short whistle at ``whistles_at`` seconds."""
    clip, rate = sf.read(str(shared_data / "sfx" / "tuxfootball" / "refwhistleshort.wav"), dtype="float32",
                         always_2d=True)
    clip = soxr.resample(clip.mean(axis=1), rate, RATE).astype(np.float32)
    rng = np.random.default_rng(5)
    noise = rng.standard_normal(int(seconds * RATE)).astype(np.float32)
    spectrum = np.fft.rfft(noise)
    spectrum /= np.maximum(1.0, np.sqrt(np.arange(len(spectrum)) / 50.0))  # crowd-like: falls with frequency
    bed = np.fft.irfft(spectrum, len(noise)).astype(np.float32)
    bed *= 0.02 / np.sqrt(np.mean(bed**2))
    for t in whistles_at:
        i = int(t * RATE)
        bed[i:i + len(clip)] += 0.5 * clip[:len(bed) - i] / np.max(np.abs(clip))
    sf.write(str(out), bed, RATE, subtype="FLOAT")
    return out


def append_event(path: Path, eid: str, etype: str, t: float) -> None:
    """A logger appends one event line, as a logging tool would."""
    with path.open("a") as f:
        f.write(json.dumps({"id": eid, "type": etype, "t": t}) + "\n")
