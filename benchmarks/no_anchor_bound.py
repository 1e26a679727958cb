"""What any sync engine can reach for events with no audio anchor, under the simulator's logger model.

For a throw-in, a corner, a goal kick or a substitution the audio says nothing, so a proposal can only be
the clock-mapped logged time minus some lateness correction. This draws many simulated loggers
(``core.sim.logger.draw_logger``: per-type median lateness, lognormal spread, early entries) and prints,
for the corrections an engine could make, the error figures issue 4 asks of these events (median absolute
error, mean signed error) and the spoiler rate issue 10 asks of all events:

- an oracle that knows each type's median lateness in each match (no engine can: nothing in the audio tells);
- one constant correction, the best an engine can do from the prior alone;
- no correction plus a safety margin, the only way to keep early entries from being placed early.

    .venv/bin/python benchmarks/no_anchor_bound.py [--loggers 20000]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.sim.logger import EARLY_RATE, draw_logger  # noqa: E402

SPOILER_S = 0.5


def lateness_draws(loggers: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One entry per type per logger: (lateness in seconds, that type's median for that logger)."""
    late, medians = [], []
    for _ in range(loggers):
        for median, sigma in draw_logger(rng).lateness.values():
            x = median * np.exp(sigma * rng.standard_normal())
            late.append(-rng.uniform(0.5, 2.5) if rng.uniform() < EARLY_RATE else x)
            medians.append(median)
    return np.array(late), np.array(medians)


def line(name: str, error: np.ndarray) -> str:
    return (f"{name:46s} median|e| {np.median(np.abs(error)):5.2f} s  mean {error.mean():+5.2f} s  "
            f"spoilers {100 * np.mean(error < -SPOILER_S):5.2f} %  within 1 s {100 * np.mean(np.abs(error) <= 1):5.1f} %")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loggers", type=int, default=20000)
    args = ap.parse_args()
    late, medians = lateness_draws(args.loggers, np.random.default_rng(1))
    print(f"{len(late)} entries from {args.loggers} simulated loggers; error = proposal - action")
    print(line("oracle: each type's median removed", late - medians))
    prior = float(late.mean())
    print(line(f"prior only: constant {prior:.2f} s removed", late - prior))
    shifts = np.linspace(-3.0, 5.0, 801)
    best = min(shifts, key=lambda k: np.median(np.abs(late - k)))
    print(line(f"prior only: best constant for median ({best:.2f} s)", late - best))
    near = [k for k in shifts if abs(np.mean(late - k)) <= 0.2]
    fair = min(near, key=lambda k: np.median(np.abs(late - k)))
    print(line(f"prior only: best with |mean| <= 0.2 s ({fair:.2f} s)", late - fair))
    for margin in (0.0, 1.0, 1.5, 2.0):
        print(line(f"no correction, {margin:+.1f} s margin", late + margin))
    print(f"least spoiler rate of a constant correction with |mean signed| <= 0.2 s: "
          f"{100 * min(np.mean(late - k < -SPOILER_S) for k in near):.1f} %")


if __name__ == "__main__":
    main()
