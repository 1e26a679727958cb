"""Helpers for whistle tests and the whistle benchmark: reading field recordings, an independent onset
reference, mixing whistles into a real crowd bed, and running the whistle detector over samples."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.signal

from core import ANALYSIS_RATE
from core.detect.offline import detect_file
from core.detect.pipeline import DetectorPipeline, latest_anchors
from core.ingest.media import open_media
from core.model import Anchor, AudioBlock, Rejection

RATE = ANALYSIS_RATE
CROWD_FILES = ("crowd/freesound/crowd_cheering.wav", "crowd/freesound/applause.wav",
               "sfx/tuxfootball/crowdboo.wav", "sfx/tuxfootball/crowdcheer.wav", "sfx/tuxfootball/crowdooh.wav")
TUX_WHISTLES = ("refwhistleshort.wav", "refwhistlelong.wav", "refwhistletwice.wav", "refwhistleend.wav")
HARD_NEGATIVE_EXCLUDE = ("far_away", "poor_whistle", "far_side_of_lab")


def read_mono(path: Path | str) -> np.ndarray:
    """Whole file as mono float32 at the analysis rate, through the project's media reader."""
    with open_media(str(path)) as media:
        blocks = [b.samples for b in media]
    return np.concatenate(blocks) if blocks else np.zeros(0, np.float32)


def detect_whistles(samples: np.ndarray, block: int = RATE) -> list[Anchor | Rejection]:
    """Whistle anchors (their final reports) and rejections from feeding ``samples`` in blocks of ``block``
    through the pipeline, in time order."""
    pipeline = DetectorPipeline(RATE)
    outs = [pipeline.feed(AudioBlock(start, samples[start:start + block])) for start in range(0, len(samples), block)]
    outs.append(pipeline.flush())
    found = latest_anchors(a for out in outs for a in out.anchors if a.kind == "whistle")
    return sorted(found + [r for out in outs for r in out.rejections if r.kind == "whistle"], key=lambda x: x.start)


def detect_whistles_in_file(path: Path | str) -> list[Anchor | Rejection]:
    """Whistle anchors and rejections that ``detect_file`` finds in ``path``."""
    found = detect_file(str(path))
    return [item for item in found.anchors + found.rejections if item.kind == "whistle"]


def anchors(items: list[Anchor | Rejection]) -> list[Anchor]:
    """Only the whistle anchors."""
    return [a for a in items if isinstance(a, Anchor) and a.kind == "whistle"]


def reference_onset(clean: np.ndarray) -> tuple[int, float, bool]:
    """Onset of the loudest whistle blast in a clean clip, measured independently of the detector.

    Band-pass 1.8-4.5 kHz, Hilbert envelope smoothed over 4 ms, in dB; the threshold is halfway between
    the clip's floor (10th percentile) and whistle level (99th percentile), the convention of the match
    simulator's truth (core/sim/onsets.py). The onset is where the envelope last rises through it, after at
    least 30 ms below it, before the loudest point (so warble dips inside the blast do not count). Returns
    (onset, blast RMS, clear): ``clear`` says the clip's whistle stands 15 dB over its floor and the 0.5 s
    before the onset stay under the threshold, so the reference is trusted. The blast RMS is that of the
    band-passed whistle above the threshold, so robot noise in a clip does not count as whistle.
    """
    sos = scipy.signal.butter(6, (1800, 4500), btype="bandpass", fs=RATE, output="sos")
    band = scipy.signal.sosfiltfilt(sos, clean.astype(np.float64))
    env = np.convolve(np.abs(scipy.signal.hilbert(band)), np.ones(64) / 64, mode="same")
    env_db = 20 * np.log10(env + 1e-9)
    floor, top = np.percentile(env_db, 10), np.percentile(env_db, 99)
    active = env_db >= (floor + top) / 2
    gap = RATE * 3 // 100
    quiet = np.concatenate(([0], np.cumsum(~active[:int(np.argmax(env))])))
    gaps = np.flatnonzero(quiet[gap:] - quiet[:-gap] == gap)
    onset = int(gaps[-1] + gap) if len(gaps) else int(np.argmax(active))
    before = active[max(onset - RATE // 2, 0):max(onset - RATE // 50, 0)]
    clear = top - floor >= 15.0 and (len(before) == 0 or float(np.mean(before)) <= 0.1)
    return onset, float(np.sqrt(np.mean(band[active] ** 2))), clear


@dataclass(frozen=True)
class Placement:
    """One whistle clip placed in a mix."""

    name: str
    insert: int      # sample where the clip starts in the mix
    length: int      # clip length in samples
    onset: int       # reference onset in the mix


def crowd_bed(data: Path, length: int) -> np.ndarray:
    """The real crowd recordings, each scaled to the same RMS, concatenated and looped to ``length``."""
    parts = []
    for name in CROWD_FILES:
        x = read_mono(data / name).astype(np.float64)
        parts.append(x / np.sqrt(np.mean(x**2)))
    bed = np.concatenate(parts)
    return np.resize(bed, length)


def whistle_clips(data: Path) -> list[tuple[str, np.ndarray, int, float]]:
    """(name, clip, reference onset in clip, blast RMS) for the Tux whistles and the rUNSWift whistle_yes clips
    whose reference onset is clear (see ``reference_onset``).

    rUNSWift clips are cut to start 0.25 s before their reference onset (with a 5 ms fade-in) so that a
    mix holds the whistle, not seconds of robot noise.
    """
    clips = []
    for name in TUX_WHISTLES:
        x = read_mono(data / "sfx/tuxfootball" / name).astype(np.float64)
        onset, rms, _ = reference_onset(x)
        clips.append((name, x, onset, rms))
    for path in sorted((data / "whistle/runswift/whistle_yes").glob("*.wav")):
        x = read_mono(path).astype(np.float64)
        onset, rms, clear = reference_onset(x)
        if not clear:
            continue
        cut = max(onset - RATE // 4, 0)
        x = x[cut:].copy()
        x[:80] *= np.linspace(0.0, 1.0, 80)
        clips.append((path.name, x, onset - cut, rms))
    return clips


def mix(data: Path, ratio_db: float, spacing: float = 4.0, seed: int = 7) -> tuple[np.ndarray, list[Placement]]:
    """Every whistle clip mixed into the crowd bed at ``ratio_db`` whistle-to-crowd RMS, ``spacing`` s apart."""
    clips = whistle_clips(data)
    rng = np.random.default_rng(seed)
    step = int(spacing * RATE)
    total = step * (len(clips) + 1)
    bed = crowd_bed(data, total)
    out = bed.copy()
    placements = []
    for i, (name, clip, onset, rms) in enumerate(clips):
        insert = step * (i + 1) - RATE + int(rng.integers(0, RATE // 2))
        gain = 10 ** (ratio_db / 20) / rms
        out[insert:insert + len(clip)] += gain * clip
        placements.append(Placement(name, insert, len(clip), insert + onset))
    peak = np.max(np.abs(out))
    return (0.5 * out / peak).astype(np.float32), placements


@dataclass(frozen=True)
class MixScore:
    """How the detector did on one mix."""

    hits: int
    total: int
    errors_ms: list[float]
    false: list[Anchor]
    missed: list[str]


def score_mix(found: list[Anchor], placements: list[Placement], tolerance: float = 0.1) -> MixScore:
    """Match detections to placed whistles; anything outside every placed clip is a false detection."""
    errors, missed = [], []
    explained: set[int] = set()
    for p in placements:
        inside = [a for a in found if p.insert - RATE * tolerance <= a.start <= p.insert + p.length]
        explained.update(id(a) for a in inside)
        near = [a for a in inside if abs(a.start - p.onset) <= tolerance * RATE]
        if near:
            best = min(near, key=lambda a: abs(a.start - p.onset))
            errors.append(1000 * (best.start - p.onset) / RATE)
        else:
            missed.append(p.name)
    false = [a for a in found if id(a) not in explained]
    return MixScore(len(errors), len(placements), errors, false, missed)
