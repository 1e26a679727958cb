"""Whistle detector evaluation on the field recordings: per-file table, crowd mixes (and per clip at 0 and -6 dB),
speed.

Run: .venv/bin/python benchmarks/whistle_eval.py [path/to/shared/data]
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import scipy.fft

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from core.detect.whistle import WhistleDetector  # noqa: E402
from core.dsp.stft import StreamingSTFT  # noqa: E402
from core.model import Anchor, AudioBlock, Rejection  # noqa: E402
from whistle_mixing import (CROWD_FILES, HARD_NEGATIVE_EXCLUDE, RATE, anchors, detect_whistles, mix,  # noqa: E402
                            read_mono, score_mix)

RATIOS_DB = (6.0, 0.0, -6.0, -9.0, -12.0)


def file_table(data: Path) -> None:
    """One line per field recording: expected class, anchors found, first rejection reasons."""
    groups = [("yes", sorted((data / "whistle/runswift/whistle_yes").glob("*.wav"))),
              ("no", sorted((data / "whistle/runswift/whistle_no").glob("*.wav"))),
              ("tux", sorted((data / "sfx/tuxfootball").glob("*.wav"))),
              ("crowd", [data / n for n in CROWD_FILES[:2]])]
    counts = {"yes": 0, "hard_neg_false": 0}
    for group, paths in groups:
        for path in paths:
            items = detect_whistles(read_mono(path))
            found = anchors(items)
            desc = " ".join(f"{a.start / RATE:.3f}s({a.confidence:.2f},{a.freqs_hz[0]:.0f}Hz)" for a in found)
            rejected = sorted({r.reason.split(" (")[0] for r in items if isinstance(r, Rejection)})
            print(f"{group:5s} {path.name[:52]:52s} {len(found)}  {desc}  | rejected: {', '.join(rejected)}")
            if group == "yes" and found:
                counts["yes"] += 1
            hard = group == "no" and not any(k in path.name for k in HARD_NEGATIVE_EXCLUDE)
            if (hard or group == "crowd" or path.name.startswith("crowd")) and found:
                counts["hard_neg_false"] += len(found)
    print(f"\nwhistle_yes detected: {counts['yes']}/29; false whistles in hard negatives and crowd files: "
          f"{counts['hard_neg_false']}")


def mixes(data: Path) -> None:
    """Recall, onset error and false detections per whistle-to-crowd ratio."""
    print(f"\n{'ratio':>6} {'recall':>8} {'median':>8} {'p95':>8} {'false':>6}  missed")
    for ratio in RATIOS_DB:
        samples, placements = mix(data, ratio)
        score = score_mix(anchors(detect_whistles(samples)), placements)
        err = np.abs(score.errors_ms) if score.errors_ms else np.array([np.nan])
        print(f"{ratio:+5.0f}dB {score.hits:>3}/{score.total:<3} {np.median(err):7.1f}ms "
              f"{np.percentile(err, 95):7.1f}ms {len(score.false):>5}  {', '.join(score.missed)}")
        for a in score.false:
            print(f"        false at {a.start / RATE:.3f}s conf {a.confidence:.2f} {a.freqs_hz}")


def mix_clips(data: Path, ratios: tuple[float, ...] = (0.0, -6.0)) -> None:
    """Per clip and ratio: the onset error of its detection, or why it was missed (the longest rejection
    within the clip, or an anchor more than 100 ms from its onset)."""
    outcome: dict[str, list[str]] = {}
    for ratio in ratios:
        samples, placements = mix(data, ratio)
        items = detect_whistles(samples)
        for p in placements:
            inside = [x for x in items if p.insert - RATE // 10 <= x.start <= p.insert + p.length]
            found = [a for a in inside if isinstance(a, Anchor)]
            rejected = [r for r in inside if isinstance(r, Rejection)]
            near = min(found, key=lambda a: abs(a.start - p.onset), default=None)
            if near is not None and abs(near.start - p.onset) <= RATE // 10:
                text = f"{1000 * (near.start - p.onset) / RATE:+.0f} ms"
            elif near is not None:
                text = f"MISS: anchor at {1000 * (near.start - p.onset) / RATE:+.0f} ms"
            elif rejected:
                text = "MISS: " + max(rejected, key=lambda r: r.end - r.start).reason[:44]
            else:
                text = "MISS: no candidate"
            outcome.setdefault(p.name, []).append(text)
    print("\n" + f"{'clip':52s} " + " ".join(f"{r:+.0f} dB".ljust(50) for r in ratios))
    for name, texts in outcome.items():
        print(f"{name[:52]:52s} " + " ".join(t.ljust(50) for t in texts))


def speed(data: Path, minutes: float = 10.0) -> None:
    """CPU seconds spent in the whistle detector alone per 90 minutes of crowd audio (frames precomputed),
    beside a bare rfft of the same frames; best of three runs."""
    samples, _ = mix(data, -6.0)
    reps = int(minutes * 60 * RATE / len(samples)) + 1
    audio = np.tile(samples, reps)
    stft = StreamingSTFT()
    frames = [stft.feed(AudioBlock(s, audio[s:s + RATE])) for s in range(0, len(audio), RATE)]
    spent = floor = np.inf
    for _ in range(3):
        detector = WhistleDetector(RATE, stft.size, stft.hop)
        t0 = time.process_time()
        for f in frames:
            detector.process(f)
        detector.flush()
        spent = min(spent, time.process_time() - t0)
        t0 = time.process_time()
        for f in frames:
            scipy.fft.rfft(np.zeros((len(f), stft.size), np.float32), axis=1)
        floor = min(floor, time.process_time() - t0)
    per90 = 5400 / (len(audio) / RATE)
    print(f"\nwhistle detector: {spent * per90:.2f} CPU s per 90 min of crowd+whistle audio "
          f"({1 / (spent * per90 / 5400):.0f}x realtime); bare rfft of the same frames {floor * per90:.2f} s")


if __name__ == "__main__":
    shared = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data"
    file_table(shared)
    mixes(shared)
    mix_clips(shared)
    speed(shared)
