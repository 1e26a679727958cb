"""Sync accuracy over simulated matches: the contract's score table for synced and raw logged times.

    .venv/bin/python benchmarks/sync_accuracy.py                 # evaluation seeds 1000-1019, 90 minutes
    .venv/bin/python benchmarks/sync_accuracy.py --seeds 0-9     # tuning seeds (only 0-99 are for tuning)

Each seed is simulated and detected once and cached under the temp folder. Prints, side by side, the
score of the synced times and of the raw logged times, then the acceptance figures: success rates per
anchor group, spoiler rate, calibration (share within 1 s among confidence >= 0.9), causal-vs-offline
agreement (within 50 ms) and the causal proposal latency.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core import ANALYSIS_RATE  # noqa: E402
from core.cli.output import write_jsonl  # noqa: E402
from core.detect.offline import detect_file  # noqa: E402
from core.model import Anchor, LoggedEvent  # noqa: E402
from core.score import error_stats, format_table, read_events, score  # noqa: E402
from core.sim.match import build_match, write_match  # noqa: E402
from core.sync.engine import SyncEngine  # noqa: E402
from core.sync.offline import sync_events  # noqa: E402
from core.sync.roles import CARD_TYPES, WHISTLE_TYPES  # noqa: E402
from core.sync.settings import SyncSettings  # noqa: E402

CACHE = Path(tempfile.gettempdir()) / "matchsync_sync_bench"
RATE = ANALYSIS_RATE
DETECT_LATENCY_S = 0.3
"""How long after a whistle's end the live pipeline reports it (for the causal replay)."""


def prepared(seed: int, minutes: float, redetect: bool = False) -> Path:
    """The cached folder of one simulated and detected match (simulated and detected on first use).

    The 48 kHz match.wav stays cached (about 0.5 GB per 90 minutes) so a changed detector can be rerun.
    """
    folder = CACHE / f"seed-{seed}-{minutes:g}min"
    if not (folder / "meta.json").exists():  # written last: a match cut short is built again
        write_match(build_match(seed, minutes), str(folder))
        redetect = True
    if redetect or not (folder / "anchors.jsonl").exists():
        det = detect_file(str(folder / "match.wav"))
        write_jsonl(str(folder / "anchors.jsonl"), (a.to_json(det.rate) for a in det.anchors))
    return folder


def read_anchors(path: Path) -> list[Anchor]:
    """Anchors JSONL back into values."""
    out = []
    for line in path.read_text().splitlines():
        d = json.loads(line)
        n = lambda key: int(round(d[key] * RATE))  # noqa: E731
        if d["kind"] == "whistle":
            out.append(Anchor("whistle", n("t"), n("t_end"), d["confidence"], tuple(d.get("freqs_hz", ()))))
        else:
            out.append(Anchor(d["kind"], n("t"), n("t_end"), d["confidence"], peak=n("t_peak"), gain_lu=d["gain_lu"]))
    return out


def read_logged(path: Path) -> list[LoggedEvent]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [LoggedEvent(r["id"], r["type"], float(r["t"])) for r in rows]


def detector_check(anchors: list[Anchor], truth, meta: dict) -> dict[str, list]:
    """What the detectors gave the sync engine: whistle misses, stray whistles, roar onsets."""
    whistles = np.array(sorted(a.start / RATE for a in anchors if a.kind == "whistle"))
    surges = np.array(sorted(a.start / RATE for a in anchors if a.kind == "crowd_surge"))
    near = lambda arr, t, lo, hi: bool(len(arr)) and bool(np.any((arr >= t + lo) & (arr <= t + hi)))  # noqa: E731
    out: dict[str, list] = {"missed": [], "stray": [], "distractor": [], "roar_lag": [], "roar_missed": []}
    for e in truth.events.values():
        if e.type in WHISTLE_TYPES and not near(whistles, e.t, -0.1, 0.1):
            out["missed"].append(f"{e.type}@{e.t:.1f}")
    blasts = [b["t"] for b in meta["whistle_blasts"]]
    lures = [(d["t"], d["t_end"]) for d in meta["distractors"] if d["whistle_like"]]
    for w in whistles:
        if any(abs(w - b) <= 0.3 for b in blasts):
            continue
        (out["distractor"] if any(a - 0.3 <= w <= b for a, b in lures) else out["stray"]).append(round(float(w), 1))
    for roar in meta["goal_roars"]:
        after = surges[(surges >= roar["goal_t"] - 0.5) & (surges <= roar["goal_t"] + 3.0)]
        if len(after):
            out["roar_lag"].append(float(after[0] - roar["goal_t"]))
        else:
            out["roar_missed"].append(round(roar["goal_t"], 1))
    return out


def miss_cause(p, real, anchors: list[Anchor], meta: dict) -> str:
    """Why a whistle-anchored event or goal was placed more than 1 s off: what the engine was given."""
    if p.event_id in {w["id"] for w in meta["logger"]["mistakes"]["wrong_type"]}:
        return "logged with the wrong type"
    kind = "whistle" if real.type in WHISTLE_TYPES else "crowd_surge"
    lo, hi = (-0.1, 0.1) if kind == "whistle" else (-0.5, 3.0)
    own = [a for a in anchors if a.kind == kind and lo <= a.start / RATE - real.t <= hi]
    if not own:
        return "no anchor detected"
    if p.anchor is None:
        return "anchor detected, clock chosen"
    if p.anchor in own:
        return "its own anchor chosen, more than 1 s from the action"
    t = p.anchor.start / RATE
    lures = [(d["t"] - 0.3, d["t_end"]) for d in meta["distractors"] if d["whistle_like"]]
    if p.anchor.kind == "whistle" and any(a <= t <= b for a, b in lures):
        return "a whistle-like distractor chosen"
    return "another anchor chosen"


TRADE_OFF_COSTS = (0.0, 4.0, 8.0, 16.0)
"""early_cost settings compared in the trade-off table (issue 4's symmetric targets vs issue 10's spoilers)."""


def group_of(event_type: str) -> str:
    """The acceptance group a true event type is scored in."""
    return ("whistle-anchored" if event_type in WHISTLE_TYPES else "goal" if event_type == "goal"
            else "card" if event_type in CARD_TYPES else "no audio anchor")


def trade_off(cases: list[tuple[list[Anchor], list[LoggedEvent], object]]) -> list[str]:
    """Rows of the early_cost trade-off: no-anchor accuracy and bias against spoiler rates per group."""
    rows = [f"  {'early_cost':>10s} {'no-anchor median|e|':>20s} {'mean signed':>12s} {'spoiler all':>12s} "
            f"{'whistle':>8s} {'goal':>8s} {'no-anchor':>10s} {'card':>8s}"]
    for cost in TRADE_OFF_COSTS:
        errs: dict[str, list[float]] = {}
        for anchors, events, truth in cases:
            for p in sync_events(anchors, events, RATE, SyncSettings(early_cost=cost)):
                real = truth.events.get(p.event_id)
                if real is not None:
                    errs.setdefault(group_of(real.type), []).append(p.n / RATE - real.t)
        every = np.concatenate([np.array(v) for v in errs.values()])
        none = np.array(errs.get("no audio anchor", [np.nan]))
        spoil = {k: float(np.mean(np.array(v) < -0.5)) for k, v in errs.items()}
        rows.append(f"  {cost:10g} {np.median(np.abs(none)):19.3f}s {none.mean():+11.3f}s "
                    f"{np.mean(every < -0.5):12.2%} {spoil.get('whistle-anchored', 0):8.2%} {spoil.get('goal', 0):8.2%} "
                    f"{spoil.get('no audio anchor', 0):10.2%} {spoil.get('card', 0):8.2%}")
    return rows


def causal_replay(anchors: list[Anchor], events: list[LoggedEvent], meta: dict) -> tuple[dict, dict, dict]:
    """Feed the engine in media-time order as the console would: final proposals, every issue, typing times."""
    log = meta["logger"]
    arrival = {e.id: (e.t - log["offset_s"]) / (1 + log["drift_ppm"] * 1e-6) for e in events}
    items = [(a.end / RATE + DETECT_LATENCY_S, 0, a) for a in anchors]
    items += [(arrival[e.id], 1, e) for e in events]
    items.sort(key=lambda x: (x[0], x[1]))
    engine = SyncEngine(RATE)
    first_seen: dict[str, list[tuple[float, object]]] = {}
    for t, kind, item in items:
        if kind == 0:
            engine.add_anchors([item])
        else:
            engine.add_event(item)
        for p in engine.advance(int(t * RATE)):
            first_seen.setdefault(p.event_id, []).append((t, p))
    return engine.proposals(), first_seen, arrival


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", default="1000-1019", help="a range like 1000-1019 or a comma list")
    ap.add_argument("--minutes", type=float, default=90.0)
    ap.add_argument("--no-causal", action="store_true", help="skip the causal replay (faster tuning)")
    ap.add_argument("--redetect", action="store_true", help="run the detectors again on the cached audio")
    args = ap.parse_args()
    seeds = (list(range(int(args.seeds.split("-")[0]), int(args.seeds.split("-")[1]) + 1))
             if "-" in args.seeds else [int(s) for s in args.seeds.split(",")])
    CACHE.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="sync_bench_"))
    all_truth, all_synced, all_raw = [], [], []
    groups: dict[str, list[float]] = {"whistle-anchored": [], "goal": [], "no audio anchor": [], "card": []}
    cases = []
    calib, agree, latency, first_right, sync_time = [], [], [], [], 0.0
    detectors: dict[str, list] = {}
    goal_spoilers: list[str] = []
    causes: dict[str, dict[str, int]] = {"whistle-anchored": {}, "goal": {}}
    for seed in seeds:
        t0 = time.time()
        folder = prepared(seed, args.minutes, args.redetect)
        prep = time.time() - t0
        anchors = read_anchors(folder / "anchors.jsonl")
        events = read_logged(folder / "logged.jsonl")
        t0 = time.time()
        props = sync_events(anchors, events, RATE)
        sync_time = max(sync_time, time.time() - t0)
        out = work / f"synced-{seed}.jsonl"
        write_jsonl(str(out), (p.to_json(RATE) for p in props))
        truth = read_events(str(folder / "truth.jsonl"))
        cases.append((anchors, events, truth))
        meta = json.loads((folder / "meta.json").read_text())
        for key, items in detector_check(anchors, truth, meta).items():
            detectors.setdefault(key, []).extend(items)
        for p in props:
            real = truth.events.get(p.event_id)
            if real is None:
                continue
            e = p.n / RATE - real.t
            group = group_of(real.type)
            groups.setdefault(group, []).append(e)
            if group in causes and abs(e) > 1.0:
                why = miss_cause(p, real, anchors, meta)
                causes[group][why] = causes[group].get(why, 0) + 1
            if real.type == "goal" and e < -0.5:
                anchor = "none" if p.anchor is None else f"{p.anchor.kind} {p.anchor.start / RATE - real.t:+.2f} s"
                goal_spoilers.append(f"seed {seed} {p.event_id}: logged as {p.type}, {p.basis}, anchor {anchor}, "
                                     f"error {e:+.2f} s: {p.why}")
            if p.confidence >= 0.9:
                calib.append(abs(e) <= 1.0)
        if not args.no_causal:
            final, seen, typed = causal_replay(anchors, events, meta)
            offline = {p.event_id: p for p in props}
            agree += [abs(final[i].n - offline[i].n) <= 0.05 * RATE for i in offline]
            for i, p in offline.items():
                latency.append(seen[i][0][0] - typed[i])
                if p.anchor is not None:
                    known = max(p.anchor.end / RATE + DETECT_LATENCY_S, typed[i])
                    hit = [t for t, q in seen[i] if q.anchor == p.anchor]
                    first_right.append(bool(hit) and hit[0] - known <= 2.0)
        all_truth.append(folder / "truth.jsonl")
        all_synced.append(out)
        all_raw.append(folder / "logged.jsonl")
        print(f"seed {seed}: {len(events)} events, {len(anchors)} anchors (prepared in {prep:.1f} s)", file=sys.stderr)
    merged = {name: work / f"{name}.jsonl" for name in ("truth", "synced", "raw")}
    for name, files in (("truth", all_truth), ("synced", all_synced), ("raw", all_raw)):
        rows = []
        for seed, f in zip(seeds, files):
            for line in Path(f).read_text().splitlines():
                if line.strip():
                    d = json.loads(line)
                    d["id"] = f"{seed}:{d['id']}"
                    rows.append(d)
        write_jsonl(str(merged[name]), rows)
    truth = read_events(str(merged["truth"]))
    synced = format_table(score(truth, read_events(str(merged["synced"])))).splitlines()
    raw = format_table(score(truth, read_events(str(merged["raw"])))).splitlines()
    print(f"seeds {args.seeds}, {args.minutes:g} minutes: SYNCED (left) vs RAW LOGGED (right)")
    for k in range(max(len(synced), len(raw))):
        left = synced[k] if k < len(synced) else ""
        right = raw[k] if k < len(raw) else ""
        if k == 0 or left.startswith(("logged events", "truth events", "wrong type", "bad lines", "  ")):
            continue
        print(f"{left:96s} | {right[17:] if k > 0 else right}")
    print("\nacceptance groups (synced):")
    for name, errs in groups.items():
        s = error_stats(errs)
        print(f"  {name:17s} n={s['n']:4d}  <=250ms {s['success_250ms']:.2%}  <=1s {s['success_1000ms']:.2%}  "
              f"median|e| {s['median_abs_s']:.3f} s  mean signed {s['mean_signed_s']:+.3f} s  spoiler {s['spoiler_rate']:.2%}")
    for name, counts in causes.items():
        if counts:
            ranked = sorted(counts.items(), key=lambda x: -x[1])
            print(f"  {name} beyond 1 s: " + ", ".join(f"{n} {why}" for why, n in ranked))
    for line in goal_spoilers:
        print(f"  goal placed early: {line}")
    print(f"\nearly_cost trade-off (default {SyncSettings().early_cost:g}; spoiler = placed > 0.5 s early):")
    print("\n".join(trade_off(cases)))
    print(f"  calibration: {np.mean(calib):.2%} within 1 s among {len(calib)} proposals with confidence >= 0.9")
    if agree:
        lat = np.array(latency)
        print(f"  causal final == offline within 50 ms: {np.mean(agree):.2%} of {len(agree)} events")
        print(f"  causal first proposal after the event is typed: max {lat.max():.2f} s; on its final anchor "
              f"within 2 s of both being known: {np.mean(first_right):.2%} of {len(first_right)} anchored events")
    print(f"  slowest offline sync of one match: {sync_time * 1000:.0f} ms")
    first = prepared(seeds[0], args.minutes)
    t0 = time.time()
    done = subprocess.run([sys.executable, "-m", "app.main", "sync", str(first / "match.wav"), "--events",
                           str(first / "logged.jsonl"), "--out", str(work / "cli.jsonl")], capture_output=True,
                          cwd=Path(__file__).resolve().parents[1])
    print(f"  whole `matchsync sync` of seed {seeds[0]} ({args.minutes:g} min, detect + sync): "
          f"{time.time() - t0:.1f} s (exit {done.returncode})")
    lag = np.array(detectors["roar_lag"])
    print("\ndetectors (what the sync engine was given):")
    print(f"  whistle-type actions with no whistle detected within 100 ms: {len(detectors['missed'])} "
          f"({', '.join(detectors['missed'][:30])})")
    print(f"  whistle detections matching no referee blast: {len(detectors['stray'])} stray, "
          f"{len(detectors['distractor'])} on placed whistle-like distractors")
    if len(lag):
        print(f"  goal roars found as a surge: {len(lag)} of {len(lag) + len(detectors['roar_missed'])}; surge onset "
              f"after the goal: min {lag.min():+.2f} s, median {np.median(lag):+.2f} s, max {lag.max():+.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
