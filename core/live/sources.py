"""Live audio sources: a file played at live pace, a sound device, a network stream.

Each one only copies analysis-rate samples into its ring buffer (from its own thread or the audio
callback) and counts what went wrong; the DSP worker reads the ring.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from core import ANALYSIS_RATE
from core.errors import InputError
from core.ingest.media import open_media
from core.live.ring import RingBuffer

RING_SECONDS = 30
BLOCK_SAMPLES = 256  # 16 ms: the granularity of live pace


class LiveSource:
    """What every source offers the worker and the status bar."""

    name = "source"

    def __init__(self) -> None:
        self.rate = ANALYSIS_RATE
        self.ring = RingBuffer(RING_SECONDS * self.rate)
        self.finished = threading.Event()
        self.error: str | None = None
        self.latency_s = 0.0
        self.driver_overruns = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Begin delivering samples."""
        self._thread = threading.Thread(target=self._run_safely, name=f"source:{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop delivering and wait for the source's thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run_safely(self) -> None:
        try:
            self._run()
        except Exception as exc:  # noqa: BLE001 - a failing source is shown, the console stays up
            self.error = f"{self.name}: {exc}"
        finally:
            self.finished.set()

    def _run(self) -> None:
        raise NotImplementedError


class PacedSource(LiveSource):
    """Recorded audio played at ``speed`` times live pace; samples before ``resume_n`` go as fast as the
    worker takes them (rebuilding detector and engine state after a restart)."""

    def __init__(self, speed: float, resume_n: int) -> None:
        super().__init__()
        self.speed = speed
        self.resume_n = resume_n
        self.live_from_wall: float | None = None
        """Monotonic time at which sample ``live_from_n`` was due (benchmarks measure latency from it)."""
        self.live_from_n = resume_n

    def _blocks(self) -> Iterator[np.ndarray]:
        raise NotImplementedError

    def _run(self) -> None:
        n = 0
        for samples in self._blocks():
            if self._stop.is_set():
                return
            end = n + len(samples)
            if end <= self.resume_n:
                self.ring.write_when_free(samples, self._stop)
            else:
                if self.live_from_wall is None:
                    self.live_from_wall, self.live_from_n = time.monotonic(), n
                due = self.live_from_wall + (end - self.live_from_n) / self.rate / self.speed
                delay = due - time.monotonic()
                if delay > 0 and self._stop.wait(delay):
                    return
                self.ring.write(samples)
            n = end


class PacedFileSource(PacedSource):
    """A media file played at live pace."""

    def __init__(self, path: str, speed: float = 1.0, resume_n: int = 0, channel: int | None = None) -> None:
        super().__init__(speed, resume_n)
        self.name = Path(path).name
        self.path = path
        self.channel = channel
        with open_media(path, channel=channel):  # a bad file or channel raises InputError now, not later
            pass

    def _blocks(self) -> Iterator[np.ndarray]:
        with open_media(self.path, channel=self.channel, rate=self.rate, block_samples=BLOCK_SAMPLES) as media:
            for block in media:
                yield block.samples


class DeviceSource(LiveSource):
    """A sound-card input through PortAudio (sounddevice); ``device`` is a name, an index or None."""

    def __init__(self, device: str | None, channel: int = 0) -> None:
        super().__init__()
        self.name = f"device:{device}" if device else "device"
        try:
            import sounddevice as sd
        except OSError as exc:  # PortAudio library missing
            raise InputError("device", f"sound input unavailable ({exc})") from None
        self._sd = sd
        try:
            info = sd.query_devices(device, kind="input")
        except (ValueError, sd.PortAudioError) as exc:
            wanted = f"'{device}'" if device else "default"
            raise InputError("device", f"no {wanted} sound input device found ({exc})") from None
        if not 0 <= channel < info["max_input_channels"]:
            raise InputError("device", f"channel {channel} does not exist on '{info['name']}' "
                                       f"({info['max_input_channels']} input channels)")
        self.channel = channel
        self._device = device
        self._channels = channel + 1
        self._stream = None

    def start(self) -> None:
        """Open the input stream; the callback copies one channel into the ring."""
        def callback(indata: np.ndarray, frames: int, when, status) -> None:
            if status.input_overflow:
                self.driver_overruns += 1
            self.ring.write(indata[:, self.channel])

        self._stream = self._sd.InputStream(device=self._device, channels=self._channels,
                                            samplerate=self.rate, blocksize=BLOCK_SAMPLES, dtype="float32",
                                            callback=callback)
        self._stream.start()
        self.latency_s = float(self._stream.latency)

    def stop(self) -> None:
        """Close the input stream."""
        if self._stream is not None:
            self._stream.stop()
            self._stream.close()
            self._stream = None
        self.finished.set()


class StreamSource(LiveSource):
    """A network stream (udp://, srt://, rtmp://, http(s) HLS) decoded by PyAV at its own pace."""

    def __init__(self, url: str, open_timeout_s: float = 10.0, read_timeout_s: float = 5.0) -> None:
        super().__init__()
        self.name = url
        self.url = url
        self.timeouts = (open_timeout_s, read_timeout_s)

    def _run(self) -> None:
        import av

        try:
            with av.open(self.url, timeout=self.timeouts) as container:
                stream = container.streams.audio[0]
                resampler = av.AudioResampler(format="flt", layout="mono", rate=self.rate)
                for frame in container.decode(stream):
                    if self._stop.is_set():
                        return
                    for out in resampler.resample(frame):
                        self.ring.write(out.to_ndarray().reshape(-1))
        except av.error.ExitError:  # the read timeout: the sender stopped or the network dropped
            if not self._stop.is_set():
                self.error = f"{self.name}: no data for {self.timeouts[1]:g} s (stream stopped?)"


def open_source(spec: str, speed: float = 1.0, resume_n: int = 0, channel: int | None = None) -> LiveSource:
    """The source a ``--source`` value names: ``device[:NAME]``, a URL, or a media file."""
    if spec == "device" or spec.startswith("device:"):
        name = spec.partition(":")[2] or None
        return DeviceSource(int(name) if name and name.isdigit() else name, channel or 0)
    if "://" in spec:
        return StreamSource(spec)
    return PacedFileSource(spec, speed=speed, resume_n=resume_n, channel=channel)
