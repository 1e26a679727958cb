"""Extra feeds in the console: two feeds cut from one real recording with known offsets are read at live
pace beside the master; the feeds panel shows each feed's offset, drift and confidence, and plots them."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr

from app.keymap import Keymap
from app.launch import build_parser, mount_feeds, open_feeds
from app.settings import ConsoleSettings
from app.theme import apply_theme
from app.window import ConsoleSetup, ConsoleWindow
from core.errors import InputError
from core.live.feeds import FileFeed
from core.live.sources import PacedFileSource
from core.live.worker import DspWorker
from core.session.store import SessionStore
from core.sync.engine import SyncEngine

RATE = 16_000
CLIPS = ("crowd/freesound/crowd_cheering.wav", "crowd/freesound/applause.wav", "sfx/tuxfootball/crowdboo.wav",
         "sfx/tuxfootball/crowdcheer.wav", "sfx/tuxfootball/refwhistlelong.wav", "sfx/tuxfootball/refwhistleend.wav")
PREFIX = ("whistle/runswift/whistle_no/keys_jingling.wav", "whistle/runswift/whistle_no/say_body.wav")
LATE_S, EARLY_S = 1.5, 2.25


def real(shared_data: Path, names: tuple[str, ...]) -> np.ndarray:
    """The clips, mono at 16 kHz, each at the same level, end to end."""
    parts = []
    for name in names:
        x, rate = sf.read(str(shared_data / name), dtype="float32", always_2d=True)
        x = soxr.resample(x.mean(axis=1), rate, RATE).astype(np.float32)
        parts.append(0.1 * x / np.sqrt(np.mean(x**2)))
    return np.concatenate(parts)


@pytest.fixture(scope="module")
def media(shared_data: Path, tmp_path_factory) -> tuple[Path, Path, Path]:
    folder = tmp_path_factory.mktemp("feeds")
    master = real(shared_data, CLIPS)
    late = master[int(LATE_S * RATE):]                                                # feed t=0 is master 1.5 s
    early = np.concatenate([real(shared_data, PREFIX)[:int(EARLY_S * RATE)], master])  # master t=0 is feed 2.25 s
    paths = folder / "master.wav", folder / "cam-late.wav", folder / "cam-early.wav"
    for path, x in zip(paths, (master, late, early)):
        sf.write(str(path), x, RATE, subtype="FLOAT")
    return paths


def test_feeds_panel_shows_each_feeds_offset_live(qtbot, qapp, media, tmp_path: Path) -> None:
    master, late, early = media
    apply_theme(qapp)
    events = tmp_path / "logged.jsonl"
    events.write_text("")
    source = PacedFileSource(str(master), speed=10.0)
    worker = DspWorker(source, SyncEngine(source.rate), FileFeed(events))
    window = ConsoleWindow(ConsoleSetup(worker, SessionStore(tmp_path / "session.sqlite"), "alice",
                                        ConsoleSettings(deadline_s=None), tmp_path / "cfg" / "settings.json",
                                        Keymap(tmp_path / "cfg" / "keys.json"), "master", synchronous=True))
    qtbot.addWidget(window)
    window.show()
    args = build_parser().parse_args(["--source", str(master), "--feed", str(late), "--feed", str(early)])
    feeds = open_feeds(args)
    mount_feeds(window, feeds)
    panel = window.panels.widget(0)
    try:
        def settled() -> bool:
            return all(panel.latest(n) is not None and panel.latest(n).locked
                       and len(panel.history[n]) >= 4 for n in panel.history)
        qtbot.waitUntil(settled, timeout=30_000)
        panel.refresh()
        truth = {"cam-late.wav": LATE_S, "cam-early.wav": -EARLY_S}
        for row, name in enumerate(panel.history):
            r = panel.latest(name)
            print(f"{name}: offset {r.offset_s:+.5f} s (truth {truth[name]:+.3f}), drift {r.drift_ppm:+.2f} ppm, "
                  f"confidence {r.confidence:.3f}, at feed {r.t_f:.1f} s, media head {window.head_n / RATE:.1f} s")
            assert abs(r.offset_s - truth[name]) <= 0.005
            assert r.confidence >= 0.3
            assert panel.table.item(row, 0).text() == name
            assert abs(float(panel.table.item(row, 1).text()) - truth[name]) <= 0.005
            assert panel.table.item(row, 4).text() == "locked"
            xs, ys = panel.curves[name][0].getData()
            assert len(xs) >= 4 and abs(ys[-1] / 1e3 - truth[name]) <= 0.005
        assert window.head_n / RATE < 42.0  # shown while the master still plays, not after it ended
    finally:
        feeds.stop()
        window.shutdown()


def test_feed_needs_a_file_source_and_readable_feeds(media, tmp_path: Path) -> None:
    master, late, _ = media
    with pytest.raises(InputError, match="file --source"):
        open_feeds(build_parser().parse_args(["--feed", str(late)]))
    (tmp_path / "junk.wav").write_text("no audio here")
    with pytest.raises(InputError):
        open_feeds(build_parser().parse_args(["--source", str(master), "--feed", str(tmp_path / "junk.wav")]))
