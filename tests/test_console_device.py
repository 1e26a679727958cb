"""The device source against a real virtual sound card: a PulseAudio null sink whose monitor the console
records. A match excerpt played into the sink shows up in the spectrogram and its whistle becomes a
proposal."""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from app.keymap import Keymap
from app.settings import ConsoleSettings
from app.theme import apply_theme
from app.window import ConsoleSetup, ConsoleWindow
from core.live.feeds import FileFeed
from core.live.sources import DeviceSource
from core.live.worker import DspWorker
from core.session.store import SessionStore
from core.sync.engine import SyncEngine
from tests.console_media import append_event, write_excerpt

SINK = "consolesink"


@pytest.fixture(scope="module")
def null_sink(tmp_path_factory):
    """A private PulseAudio server with a null sink kept busy by a silent low-latency stream."""
    if not shutil.which("pulseaudio"):
        pytest.fail("pulseaudio is not installed (apt-get install pulseaudio pulseaudio-utils)")
    run = tmp_path_factory.mktemp("pulse")
    socket = run / "native"
    env = {**os.environ, "PULSE_RUNTIME_PATH": str(run), "PULSE_STATE_PATH": str(run),
           "PULSE_SERVER": f"unix:{socket}"}
    daemon = subprocess.Popen(
        ["pulseaudio", "--daemonize=no", "--exit-idle-time=-1", "-n", "--use-pid-file=no",
         f"--load=module-native-protocol-unix socket={socket} auth-anonymous=1",
         f"--load=module-null-sink sink_name={SINK} rate=48000 channels=2"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    keepalive = None
    try:
        for _ in range(100):
            if subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode == 0:
                break
            time.sleep(0.05)
        subprocess.run(["pactl", "set-default-source", f"{SINK}.monitor"], env=env, check=True)
        keepalive = subprocess.Popen(["pacat", "--playback", f"--device={SINK}", "--latency-msec=20",
                                      "--format=s16le", "--rate=48000", "--channels=2", "/dev/zero"], env=env)
        for _ in range(100):
            sinks = subprocess.run(["pactl", "list", "short", "sinks"], env=env, capture_output=True, text=True)
            if "RUNNING" in sinks.stdout:
                break
            time.sleep(0.05)
        time.sleep(2.2)
        saved = os.environ.get("PULSE_SERVER")
        os.environ["PULSE_SERVER"] = env["PULSE_SERVER"]
        yield env
        if saved is None:
            os.environ.pop("PULSE_SERVER", None)
        else:
            os.environ["PULSE_SERVER"] = saved
        import sounddevice

        sounddevice._terminate()  # PortAudio caches its device list: forget the sound card this test made
        sounddevice._initialize()
    finally:
        for proc in (keepalive, daemon):
            if proc is not None:
                proc.terminate()
                proc.wait(5)


def test_excerpt_played_into_the_sound_card_becomes_a_whistle_proposal(qtbot, qapp, null_sink, shared_data,
                                                                       tmp_path: Path) -> None:
    excerpt = write_excerpt(shared_data, tmp_path / "excerpt.wav", seconds=8.0, whistles_at=(3.0,))
    events = tmp_path / "logged.jsonl"
    events.write_text("")
    apply_theme(qapp)
    source = DeviceSource("pulse")
    worker = DspWorker(source, SyncEngine(source.rate), FileFeed(events))
    window = ConsoleWindow(ConsoleSetup(worker, SessionStore(tmp_path / "s.sqlite"), "dave",
                                        ConsoleSettings(deadline_s=None), tmp_path / "settings.json",
                                        Keymap(tmp_path / "keys.json"), "device", synchronous=True))
    qtbot.addWidget(window)
    window.show()
    try:
        qtbot.waitUntil(lambda: window.head_n > 0.5 * window.rate, timeout=10_000)
        started = window.head_n
        player = subprocess.Popen(["paplay", f"--device={SINK}", str(excerpt)], env=null_sink)
        whistle_n = started + 3 * window.rate  # roughly: the player starts within a few hundred ms
        qtbot.waitUntil(lambda: any(abs(a[0] - whistle_n) < window.rate for a in whistles(window)),
                        timeout=20_000)
        onset = min(whistles(window), key=lambda a: abs(a[0] - whistle_n))[0]
        qtbot.waitUntil(lambda: window.head_n > onset + 2 * window.rate, timeout=10_000)
        append_event(events, "ev-dev", "foul", (onset + 2 * window.rate) / window.rate)
        qtbot.waitUntil(lambda: "ev-dev" in window.book.rows and window.book.rows["ev-dev"].proposal is not None,
                        timeout=10_000)
        player.wait(20)
        proposal = window.book.rows["ev-dev"].proposal
        assert proposal.basis == "whistle"
        assert abs(proposal.n - onset) < 0.05 * window.rate
        img, _ = window.timeline.buffer.view()
        band = slice(int(2000 * window.timeline.fft_size / window.rate), int(4000 * window.timeline.fft_size
                                                                             / window.rate))
        assert np.max(img[-400:, band]) > np.median(img[-400:, band]) + 20  # the whistle is in the picture
    finally:
        window.shutdown()


def whistles(window: ConsoleWindow) -> list[tuple[int, object]]:
    """Whistle boxes drawn on the spectrogram: (onset sample, item)."""
    return [(int(round(box.rect().x() * window.rate)), box) for _, box in window.timeline._whistle_boxes]
