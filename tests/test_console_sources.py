"""Live sources, logger feeds and the DSP worker, without a window."""
from __future__ import annotations

import socket
import time
from pathlib import Path

import numpy as np
import pytest

from core.detect.pipeline import latest_anchors
from core.errors import InputError
from core.ingest.media import open_media
from core.live.feeds import FileFeed, TimedFeed
from core.live.sources import PacedFileSource, StreamSource, open_source
from core.live.worker import DISPLAY_HOP, DspWorker
from core.model import LoggedEvent
from core.sync.engine import SyncEngine
from tests.console_media import write_excerpt


@pytest.fixture(scope="module")
def excerpt(shared_data: Path, tmp_path_factory) -> Path:
    return write_excerpt(shared_data, tmp_path_factory.mktemp("media") / "excerpt.wav", seconds=12.0)


def drain(source, until) -> np.ndarray:
    got = []
    deadline = time.monotonic() + 30
    while not until(sum(len(g) for g in got)) and time.monotonic() < deadline:
        got.append(source.ring.read()[1])
        time.sleep(0.01)
    return np.concatenate(got)


def test_paced_file_delivers_the_file_exactly(excerpt: Path) -> None:
    with open_media(str(excerpt)) as media:
        expected = np.concatenate([b.samples for b in media])
    source = PacedFileSource(str(excerpt), speed=40.0)
    source.start()
    got = drain(source, lambda n: n >= len(expected) and source.finished.is_set())
    source.stop()
    assert np.array_equal(got, expected)
    assert source.error is None


def test_resumed_source_replays_up_to_the_stop_point_without_pacing(excerpt: Path) -> None:
    resume = 10 * 16_000
    source = PacedFileSource(str(excerpt), speed=1.0, resume_n=resume)
    t0 = time.monotonic()
    source.start()
    drain(source, lambda n: n >= resume)
    took = time.monotonic() - t0
    source.stop()
    assert took < 5.0, f"10 s of audio before the resume point took {took:.1f} s"
    assert source.live_from_n <= resume


def test_stream_source_decodes_a_url(excerpt: Path) -> None:
    source = StreamSource(excerpt.resolve().as_uri())
    source.start()
    source.finished.wait(20)
    got = source.ring.read()[1]
    assert source.error is None
    assert abs(len(got) - 12 * 16_000) < 16_000 // 10


def test_bad_sources_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        open_source(str(tmp_path / "missing.wav"))
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF0000WAVEjunk")
    with pytest.raises(InputError, match="broken.wav"):
        open_source(str(broken))


def test_file_feed_follows_a_growing_file_and_names_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "logged.jsonl"
    path.write_text('{"id": "a", "type": "foul", "t": 1.5}\n{"id": "b", "ty')
    feed = FileFeed(path, interval_s=0.0)
    assert feed.poll(0) == [LoggedEvent("a", "foul", 1.5)]
    with path.open("a") as f:
        f.write('pe": "goal", "t": 9, "team": "home"}\nnot json\n{"id": "c", "type": "dance", "t": 1}\n')
    [b] = feed.poll(0)
    assert (b.id, b.type, b.t, b.extra) == ("b", "goal", 9.0, {"team": "home"})
    assert [p.split(": ", 1)[0] for p in feed.problems] == [f"{path}:3", f"{path}:4"]
    assert "unknown type 'dance'" in feed.problems[1]
    assert feed.poll(0) == []


def test_timed_feed_releases_in_media_order() -> None:
    feed = TimedFeed([(300, LoggedEvent("late", "foul", 3.0)), (100, LoggedEvent("early", "foul", 1.0))])
    assert feed.poll(99) == []
    assert [e.id for e in feed.poll(100)] == ["early"]
    assert [e.id for e in feed.poll(10_000)] == ["late"]


def test_worker_keeps_lost_samples_in_place_as_silence(excerpt: Path) -> None:
    source = PacedFileSource(str(excerpt))  # never started: the test writes its ring like a callback
    worker = DspWorker(source, SyncEngine(source.rate), None)
    ring_size = source.ring.capacity
    source.ring.write(np.full(ring_size - 1000, 0.1, np.float32))
    source.ring.write(np.full(5000, 0.1, np.float32))  # laps the reader: 4000 samples lost
    update = worker.step()
    assert update.ring.overruns == 1
    assert update.gap_samples == 4000
    assert update.head_n == ring_size + 4000  # the media clock counts the lost samples
    assert len(update.columns) == (update.head_n - 512) // DISPLAY_HOP + 1


def test_reopened_live_source_continues_the_media_clock(excerpt: Path) -> None:
    source = PacedFileSource(str(excerpt))  # stands in for a device: its ring is written directly
    origin = 600 * 16_000
    worker = DspWorker(source, SyncEngine(source.rate), None, origin_n=origin)
    with open_media(str(excerpt)) as media:
        for block in media:
            source.ring.write(block.samples)
    source.finished.set()
    updates = [worker.step(), worker.step()]
    whistles = [a for a in latest_anchors(a for u in updates for a in u.anchors) if a.kind == "whistle"]
    assert updates[0].head_n == origin + 12 * 16_000
    assert [round(a.start / 16_000 - 600, 1) for a in whistles] == [4.0, 10.0]
    assert all(r.n > origin for u in updates for r in u.loudness)
    assert updates[0].column_n0 == origin + 256


def test_stream_source_receives_a_live_mpegts_stream_over_udp(excerpt: Path) -> None:
    import av
    import soundfile as sf

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        url = f"udp://127.0.0.1:{s.getsockname()[1]}"
    source = StreamSource(url + "?overrun_nonfatal=1&fifo_size=500000", open_timeout_s=10, read_timeout_s=2)
    source.start()
    time.sleep(0.5)
    data, rate = sf.read(str(excerpt), dtype="float32")
    out = av.open(url + "?pkt_size=1316", "w", format="mpegts")
    stream = out.add_stream("aac", rate=rate)
    stream.layout = "mono"
    t0, n = time.monotonic(), 1024
    for i in range(0, len(data) - n, n):  # a sender at 4x live pace
        frame = av.AudioFrame.from_ndarray(data[i:i + n].reshape(1, -1), format="flt", layout="mono")
        frame.rate, frame.pts = rate, i
        for packet in stream.encode(frame):
            out.mux(packet)
        time.sleep(max(0.0, t0 + (i + n) / rate / 4 - time.monotonic()))
    for packet in stream.encode(None):
        out.mux(packet)
    out.close()
    assert source.finished.wait(15)
    got = source.ring.read()[1]
    assert abs(len(got) / 16_000 - len(data) / rate) < 0.2
    assert "no data for 2 s" in source.error  # the sender stopped: said plainly
