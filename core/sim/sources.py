"""The real recordings a simulated match is built from, loaded once as mono float32 at SIM_RATE.

Sources come from the shared field recordings (``../shared/data`` next to the project) when present,
otherwise from the permissively licensed clips bundled in ``resources/audio`` (see
``resources/ATTRIBUTION.md``). Whistle clips are cut at their measured onsets (core.sim.onsets).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from core.sim.onsets import SIM_RATE, whistle_spans

ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = ROOT.parent / "shared" / "data"
BUNDLED = ROOT / "resources" / "audio"

_FADE_IN = 96     # 2 ms raised-cosine fade at a cut onset
_FADE_OUT = 960   # 20 ms fade where a clip (or the recorder) cut the whistle off
_TAIL_S = 0.06    # keep a little of the decay after the measured end of a blast


@dataclass(frozen=True, slots=True, eq=False)
class WhistleClip:
    """One real whistle blast: ``samples[0]`` is its measured onset."""

    name: str
    samples: np.ndarray
    freq_hz: float
    source_onset_s: float
    """Where the blast starts in its source file (the measured onset the clip was cut at)."""


@dataclass(frozen=True, slots=True, eq=False)
class SourceLibrary:
    """Every clip the simulator uses, at SIM_RATE; ``origin`` is 'shared' or 'bundled'."""

    origin: str
    whistles: tuple[WhistleClip, ...]
    long_whistles: tuple[WhistleClip, ...]
    crowd_beds: tuple[np.ndarray, ...]
    roars: tuple[np.ndarray, ...]
    oohs: tuple[np.ndarray, ...]
    files: tuple[str, ...]


def load_mono(path: Path) -> np.ndarray:
    """A file as mono float32 at SIM_RATE (channels averaged, resampled with soxr)."""
    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    mono = np.ascontiguousarray(data.mean(axis=1, dtype=np.float32))
    if rate != SIM_RATE:
        mono = soxr.resample(mono, rate, SIM_RATE, quality="HQ").astype(np.float32)
    mono -= np.float32(mono.mean())
    return mono


def cut_whistles(name: str, samples: np.ndarray, clean_start: bool) -> list[WhistleClip]:
    """Whistle blasts of a clip, each cut at its onset.

    Field clips (``clean_start`` False) give their last blast, the labelled one near the end. Studio
    effects (``clean_start`` True) give every blast, silence padded before them so a blast at the very
    start still shows its rise; each is cut before the next one starts.
    """
    pad = SIM_RATE // 10 if clean_start else 0
    padded = np.concatenate((np.zeros(pad, np.float32), samples)) if pad else samples
    spans = whistle_spans(padded)
    chosen = spans if clean_start else spans[-1:]
    clips = []
    for i, span in enumerate(chosen):
        stop = min(len(padded), span.end + int(_TAIL_S * SIM_RATE))
        if i + 1 < len(chosen):
            stop = min(stop, chosen[i + 1].onset)
        clip = padded[span.onset:stop].copy()
        clip[:_FADE_IN] *= (0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, _FADE_IN))).astype(np.float32)
        clip[-_FADE_OUT:] *= np.linspace(1.0, 0.0, _FADE_OUT, dtype=np.float32)
        suffix = f"#{i + 1}" if len(chosen) > 1 else ""
        clips.append(WhistleClip(name + suffix, clip / np.float32(np.abs(clip).max()), span.freq_hz,
                                 round((span.onset - pad) / SIM_RATE, 5)))
    return clips


@lru_cache(maxsize=1)
def library() -> SourceLibrary:
    """The source clips, from ../shared/data when present, else the bundled ones."""
    if (SHARED_DATA / "whistle" / "runswift" / "whistle_yes").is_dir():
        return _shared_library()
    return _bundled_library()


def _whistles(paths: list[Path], clean: bool) -> list[WhistleClip]:
    return [clip for p in paths for clip in cut_whistles(p.stem, load_mono(p), clean)]


def _split(clips: list[WhistleClip]) -> tuple[tuple[WhistleClip, ...], tuple[WhistleClip, ...]]:
    """Short blasts for fouls, and the longest ones for kickoffs and end-of-half patterns."""
    long = tuple(c for c in clips if len(c.samples) >= 0.4 * SIM_RATE)
    return tuple(clips), long or tuple(sorted(clips, key=lambda c: -len(c.samples))[:3])


def _shared_library() -> SourceLibrary:
    d = SHARED_DATA
    runswift = sorted((d / "whistle" / "runswift" / "whistle_yes").glob("*.wav"))
    # refwhistletwice is left out: its two blasts run together at our onset measurement's resolution
    effects = [d / "sfx" / "tuxfootball" / f"refwhistle{k}.wav" for k in ("end", "long", "short")]
    effects.append(d / "whistle" / "naodevils" / "Demo.wav")
    clips = _whistles(runswift, clean=False) + _whistles(effects, clean=True)
    crowd_files = [d / "crowd" / "freesound" / "crowd_cheering.wav", d / "crowd" / "freesound" / "applause.wav",
                   d / "sfx" / "tuxfootball" / "crowdboo.wav"]
    roar_files = [d / "sfx" / "tuxfootball" / "crowdcheer.wav", d / "crowd" / "freesound" / "crowd_cheering.wav"]
    ooh_files = [d / "sfx" / "tuxfootball" / "crowdooh.wav"]
    short, long = _split(clips)
    return SourceLibrary("shared", short, long, tuple(load_mono(p) for p in crowd_files),
                         tuple(load_mono(p) for p in roar_files), tuple(load_mono(p) for p in ooh_files),
                         tuple(str(p.relative_to(d)) for p in runswift + effects + crowd_files + roar_files + ooh_files))


def _bundled_library() -> SourceLibrary:
    b = BUNDLED
    runswift = sorted((b / "runswift").glob("*.flac"))
    effects = [b / "naodevils" / "Demo.flac"]
    clips = _whistles(runswift, clean=False) + _whistles(effects, clean=True)
    cheering = load_mono(b / "freesound" / "crowd_cheering.flac")
    short, long = _split(clips)
    return SourceLibrary("bundled", short, long, (cheering,), (cheering,), (cheering[: 3 * SIM_RATE],),
                         tuple(str(p.relative_to(b)) for p in runswift + effects) + ("freesound/crowd_cheering.flac",))
