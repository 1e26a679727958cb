"""A whole simulated match: the Python API behind `matchsync simulate` and the console's demo match.

    match = build_match(seed=7, minutes=90)          # about 2-4 s: timeline, logger, every sound rendered
    block = render_audio(match, start, count)         # float32 at SIM_RATE (48 kHz), any range, any order
    for media_s, event in match.arrivals(): ...       # when the logger typed each entry, in media seconds
    write_match(match, "out/")                        # match.wav, truth.jsonl, logged.jsonl, meta.json

``match.truth`` holds one LoggedEvent per real action (``t`` in media seconds, exact to the sample);
``match.logged`` holds what the simulated logger typed (``t`` on the logger's clock), in typing order;
``match.meta`` is meta.json (logger parameters and mistakes, every referee blast, goal roar, "ooh" and
distractor with its time and kind). The same seed and minutes always give byte-identical files.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import InputError
from core.model import LoggedEvent
from core.sim import distractors
from core.sim.crowd import RISE_DB_PER_90, CrowdBed, build_bed
from core.sim.effects import db
from core.sim.logger import draw_logger, log_match
from core.sim.mixer import Mixer, Placement
from core.sim.onsets import SIM_RATE
from core.sim.sounds import goal_roar, ooh, referee_blast
from core.sim.sources import SourceLibrary, library
from core.sim.timeline import Cue, Timeline, build_timeline
from core.sim.writer import prepare, write_events, write_meta, write_wav

PATTERNS: dict[str, tuple[str, ...]] = {"half_time": ("short", "long"), "full_time": ("short", "short", "long")}
"""Blast sequences of the end-of-half whistles; every other whistled action is one blast."""

MAX_MINUTES = 180.0


@dataclass(frozen=True, slots=True, eq=False)
class Match:
    """A simulated match: events, meta.json and a mixer that renders its audio on demand."""

    seed: int
    minutes: float
    samples: int
    truth: tuple[LoggedEvent, ...]
    logged: tuple[LoggedEvent, ...]
    meta: dict
    mixer: Mixer

    @property
    def rate(self) -> int:
        """Sample rate of the match audio (48 kHz)."""
        return SIM_RATE

    def arrivals(self) -> list[tuple[float, LoggedEvent]]:
        """Each logged entry with the media time (seconds) at which the logger typed it, in that order.

        A live demo feed releases an entry when playback reaches its time.
        """
        logger = self.meta["logger"]
        scale = 1.0 + logger["drift_ppm"] * 1e-6
        return [((e.t - logger["offset_s"]) / scale, e) for e in self.logged]


def build_match(seed: int, minutes: float, sources: SourceLibrary | None = None) -> Match:
    """Build the match for ``seed`` lasting ``minutes`` (independent random streams per part).

    ``sources`` defaults to ``core.sim.sources.library()`` (the shared field recordings, else the bundled clips).
    """
    if not 0.5 <= minutes <= MAX_MINUTES:
        raise InputError("--minutes", f"must be between 0.5 and {MAX_MINUTES:g} (got {minutes:g})")
    if seed < 0:
        raise InputError("--seed", f"must be zero or positive (got {seed})")
    r_time, r_log, r_bed, r_sound, r_extra = (np.random.Generator(np.random.PCG64(s))
                                              for s in np.random.SeedSequence(seed).spawn(5))
    lib = sources or library()
    timeline = build_timeline(r_time, minutes)
    model = draw_logger(r_log)
    logged = log_match(r_log, model, timeline.actions)
    bed = build_bed(r_bed, lib)
    placements, cued = _cued_sounds(r_sound, lib, bed, timeline)
    # distractors keep clear of referee blasts and of each goal's build-up and roar onset, so every
    # detection can be attributed (they may still overlap a roar's sustain, as drums and chants do)
    busy = [(b["n"], b["n_end"]) for b in cued["whistle_blasts"]]
    busy += [(round((r["goal_t"] - 6.0) * SIM_RATE), round((r["t_peak"] + 2.0) * SIM_RATE)) for r in cued["goal_roars"]]
    extra = distractors.plan(r_extra, lib, timeline.samples, busy, minutes / 90.0)
    for d in extra:
        placements.append(Placement(d.n, d.samples * np.float32(bed.rms_at(d.n) * db(d.rel_db)), d.kind))
    truth = tuple(LoggedEvent(a.id, a.type, a.n / SIM_RATE, {"team": a.team} if a.team else {})
                  for a in timeline.actions)
    counts: dict[str, int] = {}
    for a in timeline.actions:
        counts[a.type] = counts.get(a.type, 0) + 1
    meta = {
        "seed": seed, "minutes": minutes, "sample_rate": SIM_RATE, "samples": timeline.samples,
        "duration_s": timeline.samples / SIM_RATE,
        "sources": {"origin": lib.origin, "files": list(lib.files),
                    "whistle_clips": {c.name: {"onset_in_source_s": c.source_onset_s, "freq_hz": round(c.freq_hz, 1),
                                               "seconds": round(len(c.samples) / SIM_RATE, 4)}
                                      for c in dict.fromkeys(lib.whistles + lib.long_whistles)}},
        "counts": dict(sorted(counts.items())),
        "halves": [{"kickoff_t": a / SIM_RATE, "end_t": b / SIM_RATE} for a, b in timeline.halves],
        "logger": {**model.to_json(), "mistakes": logged.mistakes},
        "crowd": {"level_dbfs_at_start": round(bed.level_db, 2), "rise_db_per_90_min": RISE_DB_PER_90},
        **{k: [{key: v for key, v in item.items() if not key.startswith("n")} for item in items]
           for k, items in cued.items()},
        "distractors": [{"kind": d.kind, "t": d.n / SIM_RATE, "t_end": (d.n + len(d.samples)) / SIM_RATE,
                         "rel_db": d.rel_db, "whistle_like": d.kind in distractors.WHISTLE_KINDS,
                         "detail": d.detail} for d in extra],
    }
    return Match(seed, minutes, timeline.samples, truth, logged.events, meta,
                 Mixer(bed, placements, timeline.samples))


def render_audio(match: Match, start: int, count: int) -> np.ndarray:
    """``count`` float32 samples of the match from sample ``start`` at 48 kHz (fewer at the end)."""
    return match.mixer.render(start, count)


def write_match(match: Match, out_dir: str) -> Path:
    """Write match.wav, truth.jsonl, logged.jsonl and meta.json into ``out_dir`` (created if missing)."""
    path = prepare(out_dir)
    write_wav(path / "match.wav", match.mixer.render, match.samples)
    write_events(path / "truth.jsonl", match.truth)
    write_events(path / "logged.jsonl", match.logged)
    write_meta(path / "meta.json", match.meta)
    return path


def _cued_sounds(rng: np.random.Generator, lib: SourceLibrary, bed: CrowdBed,
                 timeline: Timeline) -> tuple[list[Placement], dict[str, list[dict]]]:
    """Referee blasts, goal roars and oohs for every cue, at levels relative to the bed at that moment."""
    types = {a.id: a.type for a in timeline.actions}
    times = {a.id: a.n / SIM_RATE for a in timeline.actions}
    placements: list[Placement] = []
    cued: dict[str, list[dict]] = {"whistle_blasts": [], "goal_roars": [], "oohs": []}
    for cue in timeline.cues:
        if cue.kind == "blast":
            _blasts(rng, lib, bed, cue, types[cue.event_id], placements, cued["whistle_blasts"])
        elif cue.kind == "roar":
            seconds, attack = float(rng.uniform(10.0, 18.0)), float(rng.uniform(0.8, 2.0))
            rel = round(float(rng.uniform(10.0, 15.0)), 2)
            sound = goal_roar(rng, lib, seconds, attack) * np.float32(bed.rms_at(cue.n) * db(rel))
            placements.append(Placement(cue.n, sound, "roar"))
            cued["goal_roars"].append({"event_id": cue.event_id, "goal_t": times[cue.event_id], "t": cue.n / SIM_RATE,
                                       "t_peak": round(cue.n / SIM_RATE + attack, 4),
                                       "t_end": (cue.n + len(sound)) / SIM_RATE, "rel_db": rel})
        else:
            rel = round(float(rng.uniform(3.0, 8.0)), 2)
            sound = ooh(rng, lib) * np.float32(bed.rms_at(cue.n) * db(rel))
            placements.append(Placement(cue.n, sound, "ooh"))
            cued["oohs"].append({"event_id": cue.event_id, "t": cue.n / SIM_RATE,
                                 "t_end": (cue.n + len(sound)) / SIM_RATE, "rel_db": rel})
    return placements, cued


def _blasts(rng: np.random.Generator, lib: SourceLibrary, bed: CrowdBed, cue: Cue, kind: str,
            placements: list[Placement], out: list[dict]) -> None:
    """One blast, or the blast pattern of half/full time; the first onset is exactly the cue sample."""
    n = cue.n
    for style in PATTERNS.get(kind, (cue.style,)):
        clips = lib.long_whistles if style == "long" else lib.whistles
        sound, blast = referee_blast(rng, clips)
        dry_len = int(round(len(next(c for c in clips if c.name == blast.clip).samples) / blast.pitch))
        rel = round(12.0 - 14.0 * blast.distance + float(rng.uniform(-1.5, 1.5)), 2)
        placements.append(Placement(n, sound * np.float32(bed.rms_at(n) * db(rel)), "referee_whistle"))
        out.append({"n": n, "n_end": n + dry_len, "t": n / SIM_RATE, "t_end": (n + dry_len) / SIM_RATE,
                    "event_id": cue.event_id, "type": kind, "clip": blast.clip, "freq_hz": blast.freq_hz,
                    "pitch": blast.pitch, "distance": blast.distance, "rel_db": rel})
        n += dry_len + int(rng.uniform(0.3, 0.7) * SIM_RATE)
