"""Alignment accuracy and speed on feeds cut from simulated matches (the acceptance of issue 8, widened).

For each seed: a match of --minutes, a master mix and feeds with random offsets (up to 10 s) and drifts
(up to 200 ppm) each with its own crowd mix, low-pass and noise. Prints, per case, the offset and drift
error after 5 minutes of feed (and at the end), the reverse alignment's disagreement with the inverse map,
how long after an offset step the reported clock is right again (within 5 ms), and x-realtime.

    .venv/bin/python benchmarks/align_accuracy.py [--seeds 0-4] [--minutes 12]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.align import MultiAligner  # noqa: E402
from core.align.simulated import feed_audio, master_audio, whole_sample  # noqa: E402
from core.sim.match import build_match  # noqa: E402

RATE = 16_000


def stream(master: np.ndarray, feed: np.ndarray) -> tuple[list, float]:
    """Every reading of one feed streamed in 1 s blocks, and the aligner's seconds of work."""
    aligner = MultiAligner(RATE)
    aligner.add_feed("feed")
    readings = []
    began = time.process_time()
    for i in range(0, max(len(master), len(feed)), RATE):
        aligner.push_master(master[i:i + RATE])
        aligner.push_feed("feed", feed[i:i + RATE])
        readings += aligner.poll()
    aligner.finish()
    readings += aligner.poll()
    return readings + aligner.current(), time.process_time() - began


def at(readings: list, t_f: float):
    """The last reading made by feed time ``t_f``."""
    return [r for r in readings if r.t_f <= t_f][-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0-4", help="range like 0-4")
    parser.add_argument("--minutes", type=float, default=12.0)
    args = parser.parse_args()
    lo, hi = (int(x) for x in args.seeds.split("-"))
    worst = {"offset_ms": 0.0, "drift_ppm": 0.0, "reverse_ms": 0.0, "step_s": 0.0}
    work, audio_s = 0.0, 0.0
    print("seed  offset_s  drift_ppm | err@5min ms  ppm | err@end ms  ppm | reverse ms | step  tracked after s")
    for seed in range(lo, hi + 1):
        rng = np.random.default_rng(1000 + seed)
        match = build_match(seed=seed, minutes=args.minutes)
        seconds = args.minutes * 60 - 15.0
        master = master_audio(match, seconds=args.minutes * 60, rate=RATE, seed=seed)
        offset, drift = float(rng.uniform(-10, 10)), float(rng.uniform(-200, 200))
        truth = whole_sample(offset)
        feed = feed_audio(match, offset_s=offset, drift_ppm=drift, seconds=seconds - 10.0, rate=RATE, seed=seed + 50)
        readings, cpu = stream(master, feed)
        work += cpu
        audio_s += len(feed) / RATE
        five, end = at(readings, 300.0), readings[-1]
        e5 = (1e3 * (five.offset_s - truth), five.drift_ppm - drift)
        ee = (1e3 * (end.offset_s - truth), end.drift_ppm - drift)
        back, _ = stream(feed, master[:len(feed) + 12 * RATE])
        rb = back[-1]
        reverse_ms = 1e3 * abs(rb.offset_s + end.offset_s / (1 + end.drift_ppm * 1e-6))
        step = float(rng.choice([-1, 1]) * rng.uniform(0.02, 3.0))
        cut = 200.0
        later = feed_audio(match, offset_s=whole_sample(offset + step) + cut * (1 + drift * 1e-6), drift_ppm=drift,
                           seconds=seconds - 10.0 - cut, rate=RATE, seed=seed + 60)
        stepped, _ = stream(master, np.concatenate([feed[:int(cut * RATE)], later]))
        new = whole_sample(offset + step)
        wrong = [r.t_f for r in stepped if r.t_f > cut and (r.offset_s is None or abs(
            r.offset_s + r.t_f * (1 + r.drift_ppm * 1e-6) - (new + r.t_f * (1 + drift * 1e-6))) > 0.005)]
        tracked = (max(wrong) - cut) if wrong else 0.0
        for key, value in (("offset_ms", abs(e5[0])), ("drift_ppm", abs(e5[1])), ("reverse_ms", reverse_ms),
                           ("step_s", tracked)):
            worst[key] = max(worst[key], value)
        print(f"{seed:4d} {offset:+9.4f} {drift:+10.1f} | {e5[0]:+8.3f} {e5[1]:+6.2f} | {ee[0]:+8.3f} {ee[1]:+6.2f} |"
              f" {reverse_ms:9.3f}  | {step:+6.3f} {tracked:6.1f}")
    print(f"worst after 5 min: offset {worst['offset_ms']:.3f} ms (goal 5), "
          f"drift {worst['drift_ppm']:.2f} ppm (goal 5); reverse {worst['reverse_ms']:.3f} ms (goal 1); "
          f"step tracked within {worst['step_s']:.1f} s (goal 30)")
    print(f"aligner speed: {audio_s / work:.0f}x realtime per feed (one feed, CPU time, windows of 8 s every 2 s)")


if __name__ == "__main__":
    main()
