"""Listening-test stand-in: spectrograms of 30-second excerpts around a goal and around a foul.

    .venv/bin/python benchmarks/excerpt_spectrograms.py [--seed 0] [--out docs]

Builds the simulated match in memory (no WAV written), renders only the two excerpts, and saves
docs/excerpt_goal.png and docs/excerpt_foul.png with the truth and meta.json markers drawn on top.
Needs matplotlib (the optional 'bench' extra).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy import signal  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from core.sim.match import Match, build_match, render_audio  # noqa: E402

SPAN_S = 30.0


def excerpt(match: Match, centre_s: float, lead_s: float) -> tuple[float, np.ndarray]:
    """(start seconds, samples) of SPAN_S seconds starting ``lead_s`` before ``centre_s``."""
    start = max(0.0, centre_s - lead_s)
    return start, render_audio(match, int(start * match.rate), int(SPAN_S * match.rate))


def plot(match: Match, start: float, audio: np.ndarray, title: str, path: Path) -> None:
    """Spectrogram 0-8 kHz in dB, whistle band shaded, every truth event and sound of meta.json marked."""
    f, t, s = signal.spectrogram(audio, match.rate, nperseg=2048, noverlap=2048 - 480)
    keep = f <= 8000
    blasts = [b for b in match.meta["whistle_blasts"] if start <= b["t"] <= start + SPAN_S]
    fig, axes = plt.subplots(1, 2 if blasts else 1, figsize=(15 if blasts else 13, 5.2), dpi=110, squeeze=False,
                             gridspec_kw={"width_ratios": [4, 1] if blasts else [1]})
    ax = axes[0][0]
    if blasts:
        zoom(match, start, audio, blasts[0], axes[0][1])
    db = 10 * np.log10(s[keep] + 1e-12)
    ax.pcolormesh(t + start, f[keep] / 1000, db, shading="auto", cmap="viridis", vmin=np.percentile(db, 5),
                  vmax=np.percentile(db, 99.8))
    ax.axhspan(2.0, 4.0, color="white", alpha=0.06)
    end = start + SPAN_S
    meta = match.meta
    for b in meta["whistle_blasts"]:
        if start <= b["t"] <= end:
            ax.axvline(b["t"], color="red", lw=1.0, ls="--")
            ax.text(b["t"], 7.7, f" referee whistle ({b['type']}, {b['freq_hz']:.0f} Hz)", color="black",
                    fontsize=8, va="top", bbox={"facecolor": "white", "alpha": 0.8, "lw": 0})
    for r in meta["goal_roars"]:
        if start <= r["t"] <= end:
            ax.axvspan(r["t"], min(end, r["t_end"]), color="orange", alpha=0.12)
            ax.text(r["t"], 7.1, f" goal roar (+{r['rel_db']:.0f} dB over the bed)", color="black", fontsize=8,
                    va="top", bbox={"facecolor": "orange", "alpha": 0.8, "lw": 0})
    for d in meta["distractors"] + [dict(o, kind="ooh") for o in meta["oohs"]]:
        if start <= d["t"] <= end:
            ax.axvline(d["t"], color="white", lw=0.8, ls=":")
            ax.text(d["t"], 0.3, f" {d['kind']}", color="black", fontsize=8,
                    bbox={"facecolor": "white", "alpha": 0.7, "lw": 0})
    for e in match.truth:
        if start <= e.t <= end:
            ax.annotate(e.type, (e.t, 8.0), xytext=(e.t, 8.45), fontsize=8, ha="center", annotation_clip=False,
                        arrowprops={"arrowstyle": "-", "color": "black", "lw": 0.6})
    ax.set_ylim(0, 8)
    ax.set_xlim(start, end)
    ax.set_xlabel("match time (s)")
    ax.set_ylabel("kHz")
    ax.set_title(title, pad=22)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def zoom(match: Match, start: float, audio: np.ndarray, blast: dict, ax) -> None:
    """1.2 s around one referee blast at fine time resolution: the pea warble and the exact onset."""
    a = int((blast["t"] - 0.3 - start) * match.rate)
    piece = audio[max(0, a): a + int(1.2 * match.rate)]
    f, t, s = signal.spectrogram(piece, match.rate, nperseg=1024, noverlap=1024 - 96)
    keep = (f >= 1000) & (f <= 6000)
    db = 10 * np.log10(s[keep] + 1e-12)
    t0 = start + max(0, a) / match.rate
    ax.pcolormesh((t + t0 - blast["t"]) * 1000, f[keep] / 1000, db, shading="auto", cmap="viridis",
                  vmin=np.percentile(db, 20), vmax=np.percentile(db, 99.9))
    ax.axvline(0.0, color="red", lw=1.0, ls="--")
    ax.set_title(f"zoom: truth onset {blast['t']:.3f} s", fontsize=9)
    ax.set_xlabel("ms from the truth onset")
    ax.set_ylabel("kHz")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--minutes", type=float, default=90.0)
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "docs"))
    args = ap.parse_args()
    match = build_match(args.seed, args.minutes)
    out = Path(args.out)
    goal = next(e for e in match.truth if e.type == "goal")
    cards = {e.t for e in match.truth if e.type in ("yellow_card", "red_card")}
    near = {b["event_id"]: b["distance"] for b in match.meta["whistle_blasts"]}
    fouls = sorted((e for e in match.truth if e.type == "foul"), key=lambda e: near[e.id])
    foul = next((e for e in fouls if any(0 < c - e.t < 20 for c in cards)), fouls[0])
    for name, event, lead in (("goal", goal, 8.0), ("foul", foul, 6.0)):
        start, audio = excerpt(match, event.t, lead)
        path = out / f"excerpt_{name}.png"
        plot(match, start, audio, f"Simulated match seed {args.seed}: 30 s around the {name} at "
             f"{event.t:.2f} s ({event.id})", path)
        print(f"{path}: {start:.1f}-{start + SPAN_S:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
