"""Publications carry the source's LTC (issue 8, item 2): a two-channel file whose channel 0 is a simulated
match and channel 1 LTC (libltc's encoder or ours) with a jump is served with a JSONL sink; every
publication's ``ltc`` is the timecode at its media time, never a guess across the jump; without
--ltc-channel nothing changes; the LTC channel stays out of the analysed mix."""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from core import ANALYSIS_RATE
from core.ingest.media import open_media
from core.ltc.encode import encode_ltc
from core.ltc.libltc import libltc_encode
from core.ltc.smpte import RATES, Timecode, frame_count, timecode_at
from core.ltc.tap import LtcTapReader
from core.ltc.track import LtcTrack
from core.serve.clock import Clock
from core.serve.session import MatchSession, SessionConfig
from core.sim.match import build_match

ROOT = Path(__file__).resolve().parents[1]
RATE = 48_000
MINUTES = 1.0
JUMP_S = 34.0
"""The LTC jumps (a generator reset) about this far into the file."""
EDGE_S = 1e-4
"""Times this close to a frame boundary are not judged: publications round ``t`` to 0.1 ms."""


@dataclass(frozen=True)
class LtcFile:
    path: Path
    fps: str
    segments: tuple[tuple[int, int], ...]
    """(first sample at RATE, frame number there) of each LTC run."""

    def expected(self, t: float) -> str | None:
        """The timecode the LTC carries at media second ``t`` (the run it falls in, whole frames elapsed);
        None within EDGE_S of a frame boundary."""
        x = Fraction(t) * RATE
        start, first = max(s for s in self.segments if s[0] <= x)
        frames = (x - start) * RATES[self.fps][0] / RATE
        if min(frames % 1, 1 - frames % 1) < EDGE_S * RATES[self.fps][0]:
            return None
        return str(timecode_at(first + int(frames), self.fps))

    def near_jump(self, t: float, frames: int = 3) -> bool:
        return abs(t - self.segments[1][0] / RATE) < frames / float(RATES[self.fps][0])


def ltc_run(encoder: str, fps: str, first: int, frames: int) -> np.ndarray:
    chunks = (encode_ltc(frames, fps, RATE, first=first, level_dbfs=-12.0) if encoder == "ours"
              else libltc_encode(frames, fps, RATE, timecode_at(first, fps), level_dbfs=-12.0))
    return np.concatenate(list(chunks))


def write_ltc_file(path: Path, encoder: str, fps: str, start: Timecode, jump_to: Timecode) -> LtcFile:
    """Channel 0: a simulated match; channel 1: LTC from ``start``, jumping to ``jump_to`` at about JUMP_S."""
    match = build_match(11, MINUTES)
    programme = match.mixer.render(0, match.samples).astype(np.float32)
    before = int(JUMP_S * float(RATES[fps][0]))
    first = ltc_run(encoder, fps, frame_count(start, fps), before)
    after = ltc_run(encoder, fps, frame_count(jump_to, fps), int(MINUTES * 60 * float(RATES[fps][0])) - before + 2)
    ltc = np.concatenate([first, after])[:len(programme)]
    sf.write(path, np.stack([programme, ltc], axis=1), RATE, subtype="PCM_16")
    return LtcFile(path, fps, ((0, frame_count(start, fps)), (len(first), frame_count(jump_to, fps))))


CASES = {"25": (Timecode(10, 0, 0, 0), Timecode(11, 30, 0, 0)),
         "29.97": (Timecode(10, 0, 0, 0, True), Timecode(1, 9, 59, 20, True))}  # the jump lands near a dropped frame


@pytest.fixture(scope="module", params=[("ours", "25"), ("libltc", "29.97")], ids=lambda p: "-".join(p))
def ltc_file(request, tmp_path_factory) -> LtcFile:
    encoder, fps = request.param
    return write_ltc_file(tmp_path_factory.mktemp("ltc") / "match_ltc.wav", encoder, fps, *CASES[fps])


@pytest.fixture(scope="module")
def ltc25(tmp_path_factory) -> LtcFile:
    return write_ltc_file(tmp_path_factory.mktemp("ltc25") / "match_ltc.wav", "ours", "25", *CASES["25"])


def test_track_answers_every_time_read_and_follows_the_jump(ltc_file):
    track = LtcTrack(RATE)
    with LtcTapReader(str(ltc_file.path), None, 1, track, ANALYSIS_RATE, 256) as reader:
        analysed = sum(len(block.samples) for block in reader)
    assert track.fps == ltc_file.fps
    assert len(track.segments) == 2
    answered = unknown = 0
    for n in range(0, analysed, 97):  # every 6 ms
        t = n / ANALYSIS_RATE
        got = track.at(n)
        if got is None:
            unknown += 1
            assert ltc_file.near_jump(t) or t < 0.05 or t > analysed / ANALYSIS_RATE - 0.1, f"no LTC at {t:.4f} s"
        else:
            answered += 1
            assert got == (ltc_file.expected(t) or got), f"at {t:.4f} s"
    assert answered > 0.99 * (answered + unknown)


def test_ltc_channel_is_left_out_of_the_analysed_mix(ltc_file):
    with LtcTapReader(str(ltc_file.path), None, 1, None, ANALYSIS_RATE, 4096) as tapped, \
            open_media(str(ltc_file.path), channel=0, rate=ANALYSIS_RATE, block_samples=4096) as programme:
        for a, b in zip(tapped, programme, strict=True):
            np.testing.assert_array_equal(a.samples, b.samples)


async def serve(source: Path, tmp_path: Path, events: list[dict], ltc_channel: int | None, speed: float = 8.0
                ) -> tuple[list[dict], dict[str, float]]:
    """Serve ``source`` at ``speed`` with a JSONL sink while a logger appends ``events`` as the match reaches them;
    the publications, and the media second analysed when each event was logged."""
    log = tmp_path / "logged.jsonl"
    log.write_text("")
    config = SessionConfig(name="ltc", source=str(source), session_path=tmp_path / "s.sqlite",
                           sinks=(f"jsonl:{tmp_path / 'out.jsonl'}",), events=str(log), speed=speed,
                           auto_accept=0.9, deadline_s=3.0, ltc_channel=ltc_channel)
    session = MatchSession(config, Clock())
    running = asyncio.create_task(session.run())
    logged_at = {}
    for event in events:
        while session.report.media_s < event["t"] and not running.done():
            await asyncio.sleep(0.01)
        logged_at[event["id"]] = session.report.media_s
        with log.open("a") as f:
            f.write(json.dumps(event) + "\n")
    report = await running
    assert report.state == "finished", report.error
    return [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()], logged_at


def logger_events() -> list[dict]:
    return [{"id": f"ev-{i}", "type": "foul", "t": t} for i, t in enumerate(np.arange(2.0, MINUTES * 60 - 3, 2.3))]


def test_every_publication_carries_the_ltc_at_its_media_time(ltc_file, tmp_path):
    """Where the LTC had been read when a revision went out, it carries the timecode there, exact to the frame;
    a provisional revision placed ahead of the analysed audio (the clock map's guess) carries null, as does
    a time in the jump's frame, where no whole frame was read."""
    pubs, logged_at = asyncio.run(serve(ltc_file.path, tmp_path, logger_events(), ltc_channel=1))
    assert {p["status"] for p in pubs} >= {"provisional"} and len({p["status"] for p in pubs}) >= 2
    with_ltc = [p for p in pubs if p["ltc"] is not None]
    decided = [p for p in pubs if p["status"] != "provisional"]
    assert len(with_ltc) >= len(decided) > 10
    for p in pubs:
        if p["ltc"] is None:
            ahead = p["status"] == "provisional" and p["t"] > logged_at[p["id"]] + 0.2
            assert ahead or ltc_file.near_jump(p["t"]), p
            assert p["ltc_fps"] is None
            continue
        assert p["ltc_fps"] == ltc_file.fps
        assert p["ltc"] == (ltc_file.expected(p["t"]) or p["ltc"]), p
    after_jump = [p for p in with_ltc if p["t"] > ltc_file.segments[1][0] / RATE]
    assert len(after_jump) >= 5  # each equal to the run after the jump (checked above)


def test_without_an_ltc_channel_publications_carry_none(ltc25, tmp_path):
    pubs, _ = asyncio.run(serve(ltc25.path, tmp_path, logger_events()[:6], ltc_channel=None, speed=30.0))
    assert pubs and all(p["ltc"] is None and p["ltc_fps"] is None and p["timecode"] for p in pubs)


@pytest.mark.parametrize("args, problem", [
    (["--ltc-channel", "5"], "LTC channel 5 does not exist"),
    (["--ltc-channel", "0", "--schedule", "x.csv"], "LTC is read from a media file --source"),
])
def test_bad_ltc_channel_is_one_line_exit_2(ltc25, tmp_path, args, problem):
    source = [] if "--schedule" in args else ["--source", str(ltc25.path)]
    proc = subprocess.run([sys.executable, "-m", "app.main", "serve", *source, "--session",
                           str(tmp_path / "s.sqlite"), *args], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert problem in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_demo_source_has_no_ltc_channel(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "app.main", "serve", "--source", "demo", "--ltc-channel", "1",
                           "--session", str(tmp_path / "s.sqlite")], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2 and "--ltc-channel" in proc.stderr, proc.stderr


def test_console_publications_carry_the_ltc(ltc25, tmp_path):
    """The console with --ltc-channel: a pre-written logger file is published at once as provisional, so
    only times already read carry LTC (the first event's); every LTC carried is exact."""
    events = tmp_path / "logged.jsonl"
    events.write_text("".join(json.dumps(e) + "\n" for e in logger_events()[::4]))
    out = tmp_path / "out.jsonl"
    proc = subprocess.run([sys.executable, "-m", "app.main", "console", "--source", str(ltc25.path),
                           "--ltc-channel", "1", "--events", str(events), "--sink", f"jsonl:{out}", "--speed", "30",
                           "--exit-at-end", "--session", str(tmp_path / "c.sqlite"), "--config", str(tmp_path / "cfg")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert proc.returncode == 0, proc.stderr[-500:]
    pubs = [json.loads(line) for line in out.read_text().splitlines()]
    assert pubs[0]["ltc"] is not None
    for p in pubs:
        if p["ltc"] is not None:
            assert p["ltc_fps"] == "25" and p["ltc"] == (ltc25.expected(p["t"]) or p["ltc"]), p
