"""LTC decoding over the full matrix: 10-minute tracks at 24, 25, 29.97 DF and 30 fps, from libltc's encoder
and from ours, clean at -3 dBFS, quiet at -30 dBFS, and at -30 dBFS with white noise 20 dB below.

Prints per track the frames decoded out of those written, frames missing or off (a count that is not the
previous + 1), the frame rate reported, and decoding speed (x-realtime, libltc through ctypes).

    .venv/bin/python benchmarks/ltc_matrix.py [--minutes 10] [--rate 48000]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.ltc import LtcReader  # noqa: E402
from core.ltc.encode import encode_ltc  # noqa: E402
from core.ltc.libltc import libltc_encode  # noqa: E402
from core.ltc.smpte import RATES, Timecode, frame_count, timecode_at  # noqa: E402

CONDITIONS = {"-3 dBFS": (0.0, None), "-30 dBFS": (-27.0, None), "-30 dBFS, 20 dB SNR": (-27.0, -50.0)}
"""Gain applied to the -3 dBFS square wave, and the white noise RMS in dBFS (None: none)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=int, default=48_000)
    args = parser.parse_args()
    failures = 0
    print(f"{'encoder':7s} {'fps':6s} {'condition':20s} {'decoded':>15s} {'missing/off':>11s} {'rate':>6s} "
          f"{'x-rt':>6s}")
    for encoder in ("libltc", "ours"):
        for fps in RATES:
            first = frame_count(Timecode(9, 55, 0, 0, RATES[fps][1]), fps)
            frames = int(args.minutes * 60 * float(RATES[fps][0]))
            for name, (gain_db, noise_db) in CONDITIONS.items():
                rng = np.random.default_rng(0)
                chunks = (encode_ltc(frames, fps, args.rate, first=first) if encoder == "ours"
                          else libltc_encode(frames, fps, args.rate, timecode_at(first, fps)))
                reader = LtcReader(args.rate)
                decoded, spent, samples = [], 0.0, 0
                for chunk in chunks:
                    chunk = chunk * np.float32(10 ** (gain_db / 20))
                    if noise_db is not None:
                        noise = rng.standard_normal(len(chunk)).astype(np.float32)
                        chunk = chunk + noise * np.float32(10 ** (noise_db / 20))
                    began = time.perf_counter()
                    decoded += reader.push(chunk)
                    spent += time.perf_counter() - began
                    samples += len(chunk)
                decoded += reader.flush()
                counts = [frame_count(f.timecode, fps) for f in decoded]
                bad = sum(1 for a, b in zip(counts, counts[1:]) if b != a + 1) + (counts[:1] != [first])
                missing = frames - len(decoded)
                found = reader.frame_rate()
                failures += bool(missing or bad or found is None or found[0] != fps)
                print(f"{encoder:7s} {fps:6s} {name:20s} {len(decoded):7d}/{frames:<7d} {missing:5d}/{bad:<5d}"
                      f" {found[0] if found else '-':>6s} {samples / args.rate / spent:6.0f}")
    print(f"{'all frames decoded, none off by one' if failures == 0 else f'{failures} tracks FAILED'}")


if __name__ == "__main__":
    main()
