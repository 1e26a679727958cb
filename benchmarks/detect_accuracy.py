"""Detector accuracy on simulated matches: referee whistles, distractors, goal roars.

    .venv/bin/python benchmarks/detect_accuracy.py [--seeds 0-9] [--minutes 90] [--cache DIR]

Simulates each seed once (cached under the temp folder), runs core.detect.offline.detect_file on its
match.wav and compares the anchors with meta.json:
- every referee blast (including each blast of the half/full-time patterns and kickoffs) is found when a
  whistle anchor starts within 100 ms of its onset; recall, precision and onset errors are printed;
- a whistle anchor that is not a found blast is attributed to a referee blast it overlaps (a fragment),
  to a placed distractor it overlaps (counted per kind; fans' and far-away whistles are "distractor
  whistles"), or else counted as unexplained (the sound it fell in, roar or ooh, is shown);
- every goal roar must be found as a crowd_surge starting between 1 s before the goal and 2 s after the
  roar's peak.
It also scores the raw logged times (success at 250/500/1000 ms and spoiler rate) beside the figures.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from core.detect.offline import detect_file  # noqa: E402
from core.score import read_events, score  # noqa: E402
from core.sim.match import build_match, write_match  # noqa: E402

FOUND_S = 0.100
SPAN_SLACK_S = 0.5


def seeds_arg(text: str) -> list[int]:
    """'0-9' or '1,4,7'."""
    if "-" in text:
        a, b = text.split("-")
        return list(range(int(a), int(b) + 1))
    return [int(s) for s in text.split(",")]


def simulated(seed: int, minutes: float, cache: Path) -> tuple[Path, float | None]:
    """The match folder for ``seed``, simulated once and reused, and the seconds simulating took (None: cached)."""
    folder = cache / f"seed{seed}-{minutes:g}min"
    if (folder / "meta.json").is_file():
        return folder, None
    t0 = time.perf_counter()
    write_match(build_match(seed, minutes), str(folder))
    return folder, time.perf_counter() - t0


def evaluate(folder: Path) -> dict:
    """Detection figures of one simulated match."""
    meta = json.loads((folder / "meta.json").read_text())
    t0 = time.perf_counter()
    det = detect_file(str(folder / "match.wav"))
    seconds = time.perf_counter() - t0
    anchors = [a.to_json(det.rate) for a in det.anchors]
    whistles = [a for a in anchors if a["kind"] == "whistle"]
    surges = [a for a in anchors if a["kind"] == "crowd_surge"]
    blasts = meta["whistle_blasts"]
    used: set[int] = set()
    errors = []
    for b in blasts:
        near = [(abs(w["t"] - b["t"]), i) for i, w in enumerate(whistles) if i not in used and abs(w["t"] - b["t"]) <= FOUND_S]
        if near:
            i = min(near)[1]
            used.add(i)
            errors.append(whistles[i]["t"] - b["t"])
    fragments, by_distractor, unexplained = 0, {}, []
    for i, w in enumerate(whistles):
        if i in used:
            continue
        if any(_overlaps(w, b["t"], b["t_end"]) for b in blasts):
            fragments += 1
            continue
        hit = next((d for d in meta["distractors"] if _overlaps(w, d["t"], d["t_end"])), None)
        if hit:
            by_distractor[hit["kind"]] = by_distractor.get(hit["kind"], 0) + 1
            continue
        inside = next((k for k in ("goal_roars", "oohs") for s in meta[k] if _overlaps(w, s["t"], s["t_end"])), "bed")
        unexplained.append({"t": w["t"], "in": inside, "freqs_hz": w.get("freqs_hz")})
    roars_found, roar_errors = 0, []
    for r in meta["goal_roars"]:
        hits = [s for s in surges if r["goal_t"] - 1.0 <= s["t"] <= r["t_peak"] + 2.0]
        if hits:
            roars_found += 1
            roar_errors.append(hits[0]["t"] - r["t"])
    surge_sources: dict[str, int] = {}
    for s in surges:
        source = _surge_source(s, meta)
        surge_sources[source] = surge_sources.get(source, 0) + 1
    raw = score(read_events(str(folder / "truth.jsonl")), read_events(str(folder / "logged.jsonl")))["overall"]
    whistle_distractors = sum(by_distractor.get(k, 0) for k in ("fan_whistle", "slide_whistle", "far_whistle"))
    placed_whistle_distractors = sum(d["whistle_like"] for d in meta["distractors"])
    placed: dict[str, int] = {}
    for d in meta["distractors"]:
        placed[d["kind"]] = placed.get(d["kind"], 0) + 1
    return {"seed": meta["seed"], "detect_s": seconds, "blasts": len(blasts), "found": len(errors), "errors": errors,
            "whistle_anchors": len(whistles), "fragments": fragments, "by_distractor": by_distractor, "placed": placed,
            "distractor_whistles": whistle_distractors, "placed_distractor_whistles": placed_whistle_distractors,
            "unexplained": unexplained, "roars": len(meta["goal_roars"]), "roars_found": roars_found,
            "roar_errors": roar_errors, "surges": len(surges), "surge_sources": surge_sources, "raw": raw}


def _surge_source(surge: dict, meta: dict) -> str:
    """What a crowd surge rose on: a goal roar, an ooh, a distractor (by kind), or nothing placed ('bed')."""
    for key, label in (("goal_roars", "goal_roar"), ("oohs", "ooh")):
        if any(r["t"] - 2.0 <= surge["t"] <= r["t_end"] for r in meta[key]):
            return label
    hit = next((d for d in meta["distractors"] if d["t"] - 1.0 <= surge["t"] <= d["t_end"] + 1.0), None)
    return hit["kind"] if hit else "bed"


def _overlaps(anchor: dict, start: float, end: float) -> bool:
    return anchor["t"] <= end + SPAN_SLACK_S and anchor["t_end"] >= start - FOUND_S


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=seeds_arg, default=list(range(10)))
    ap.add_argument("--minutes", type=float, default=90.0)
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "matchsync-sim-cache")
    args = ap.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    rows = []
    print(f"{'seed':>4s} {'blasts':>6s} {'found':>6s} {'recall':>7s} {'prec':>6s} {'med ms':>7s} {'p95 ms':>7s} "
          f"{'frag':>4s} {'distr':>5s} {'d.whis':>6s} {'unexpl':>6s} {'roars':>6s} {'surges':>6s} "
          f"{'raw<=1s':>7s} {'raw spoil':>9s} {'det s':>6s} {'sim s':>6s}")
    for seed in args.seeds:
        folder, sim_s = simulated(seed, args.minutes, args.cache)
        r = evaluate(folder)
        rows.append(r)
        e = np.abs(r["errors"]) * 1000 if r["errors"] else np.zeros(1)
        referee = r["found"] + r["fragments"]
        print(f"{seed:4d} {r['blasts']:6d} {r['found']:6d} {r['found'] / max(1, r['blasts']):7.1%} "
              f"{referee / max(1, r['whistle_anchors']):6.1%} {np.median(e):7.1f} {np.percentile(e, 95):7.1f} "
              f"{r['fragments']:4d} {sum(r['by_distractor'].values()):5d} "
              f"{r['distractor_whistles']:2d}/{r['placed_distractor_whistles']:<3d} {len(r['unexplained']):6d} "
              f"{r['roars_found']:2d}/{r['roars']:<3d} {r['surges']:6d} "
              f"{r['raw'].get('success_1000ms', 0):7.1%} {r['raw'].get('spoiler_rate', 0):9.1%} {r['detect_s']:6.1f} "
              f"{'cached' if sim_s is None else f'{sim_s:6.1f}'}",
              flush=True)
        for u in r["unexplained"]:
            print(f"      unexplained whistle at {u['t']:.3f} s in {u['in']} {u['freqs_hz']}")
    blasts = sum(r["blasts"] for r in rows)
    found = sum(r["found"] for r in rows)
    errs = np.abs(np.concatenate([np.asarray(r["errors"]) for r in rows])) * 1000
    signed = np.concatenate([np.asarray(r["errors"]) for r in rows]) * 1000
    anchors = sum(r["whistle_anchors"] for r in rows)
    referee = sum(r["found"] + r["fragments"] for r in rows)
    kinds: dict[str, int] = {}
    placed: dict[str, int] = {}
    for r in rows:
        for k, v in r["by_distractor"].items():
            kinds[k] = kinds.get(k, 0) + v
        for k, v in r["placed"].items():
            placed[k] = placed.get(k, 0) + v
    print()
    print(f"referee whistle recall within {FOUND_S * 1000:.0f} ms: {found}/{blasts} = {found / max(1, blasts):.2%}")
    print(f"onset error: median {np.median(errs):.1f} ms, p95 {np.percentile(errs, 95):.1f} ms, "
          f"mean signed {np.mean(signed):+.1f} ms")
    print(f"whistle precision (anchors on referee blasts / all whistle anchors): {referee}/{anchors} = "
          f"{referee / max(1, anchors):.2%}")
    print("whistle detections on distractors (detections / placed): "
          + ", ".join(f"{k} {kinds.get(k, 0)}/{n}" for k, n in sorted(placed.items())))
    print(f"distractor whistles detected: {sum(r['distractor_whistles'] for r in rows)} of "
          f"{sum(r['placed_distractor_whistles'] for r in rows)} placed")
    print(f"unexplained whistle detections per match: {[len(r['unexplained']) for r in rows]} "
          f"(max {max(len(r['unexplained']) for r in rows)})")
    roar_err = [x for r in rows for x in r["roar_errors"]]
    print(f"goal roars found as crowd surges: {sum(r['roars_found'] for r in rows)}/{sum(r['roars'] for r in rows)}"
          + (f", surge onset minus roar onset median {np.median(roar_err):+.2f} s" if roar_err else ""))
    sources: dict[str, int] = {}
    for r in rows:
        for k, v in r["surge_sources"].items():
            sources[k] = sources.get(k, 0) + v
    surges = sum(r["surges"] for r in rows)
    crowd = sources.get("goal_roar", 0) + sources.get("ooh", 0)
    print(f"crowd surges: {surges}, on goal roars or oohs {crowd} ({crowd / max(1, surges):.1%}); "
          f"by what they rose on: {dict(sorted(sources.items(), key=lambda kv: -kv[1]))}")
    print(f"raw logged times: success at 1000 ms {np.mean([r['raw'].get('success_1000ms', 0) for r in rows]):.1%}, "
          f"spoiler rate {np.mean([r['raw'].get('spoiler_rate', 0) for r in rows]):.1%} (mean over matches)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
