"""What a trainee replays: the match audio at the analysis rate, its reference events and, if any, video."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from core import ANALYSIS_RATE
from core.errors import InputError
from core.ingest.media import open_media
from core.model import LoggedEvent
from core.score import read_events


class FrameSource(Protocol):
    """Video frames by media time: RGB uint8 (height, width, 3), and a caption to show over them."""

    def frame(self, t: float) -> np.ndarray | None: ...

    def caption(self, t: float) -> str | None: ...


@dataclass(frozen=True, slots=True, eq=False)
class TrainingMaterial:
    """A match to train on; ``audio_path`` is what the detectors and sync engine read for the report."""

    name: str
    audio_path: str
    audio: np.ndarray
    truth: tuple[LoggedEvent, ...]
    video: FrameSource | None

    @property
    def duration_s(self) -> float:
        return len(self.audio) / ANALYSIS_RATE


class MediaVideo:
    """Frames of a media file's first video stream, decoded with PyAV in play order (seeking on a jump)."""

    def __init__(self, container, stream) -> None:
        self._container = container
        self._stream = stream
        self._frames = None
        self._last: np.ndarray | None = None
        self._last_t = -1.0
        self._next = None

    @classmethod
    def open(cls, path: str) -> MediaVideo | None:
        """The file's video, or None when it has none (or PyAV cannot open it)."""
        import av

        try:
            container = av.open(path)
        except (av.error.FFmpegError, OSError):
            return None
        if not container.streams.video:
            container.close()
            return None
        return cls(container, container.streams.video[0])

    def frame(self, t: float) -> np.ndarray | None:
        if self._frames is None or t < self._last_t or t > self._last_t + 2.0:
            self._container.seek(max(0, int(t / self._stream.time_base)), stream=self._stream)
            self._frames = self._container.decode(self._stream)
            self._next = None
        while True:
            if self._next is None:
                self._next = next(self._frames, None)
                if self._next is None:
                    return self._last
            if self._next.time is not None and self._next.time > t:
                return self._last
            self._last = self._next.to_ndarray(format="rgb24")
            self._last_t = self._next.time or t
            self._next = None

    def caption(self, t: float) -> str | None:
        return None


def read_audio(path: str) -> np.ndarray:
    """The whole file as mono float32 at the analysis rate (InputError names the file if it cannot be read)."""
    with open_media(path, rate=ANALYSIS_RATE) as media:
        blocks = [block.samples for block in media]
    return np.concatenate(blocks).astype(np.float32, copy=False)


def read_reference(path: str) -> tuple[LoggedEvent, ...]:
    """The reference events of a JSONL file, in time order; InputError if there are none usable."""
    events = read_events(path)
    if not events.events:
        first = events.problems[0] if events.problems else None
        why = f" (line {first['line']}: {first['problem']})" if first else ""
        raise InputError(path, f"no usable reference events{why}")
    return tuple(sorted((LoggedEvent(i, e.type, e.t) for i, e in events.events.items()), key=lambda e: e.t))


def load_match(media: str, reference: str) -> TrainingMaterial:
    """A recorded match and its reference (each file checked, named in any error)."""
    truth = read_reference(reference)
    audio = read_audio(media)
    return TrainingMaterial(Path(media).name, media, audio, truth, MediaVideo.open(media))


def load_demo(seed: int, minutes: float, folder: Path) -> TrainingMaterial:
    """A simulated match with the simulator's pitch video; its audio (for the detectors) is written to
    ``folder``, and reused from there on the next run (the same seed and minutes give the same files)."""
    from core.sim.video import PitchVideo

    name = f"demo match (seed {seed}, {minutes:g} min)"
    path = folder / "match.wav"
    if not (folder / "meta.json").is_file():  # written last: its presence means the set is complete
        from core.sim.match import build_match, write_match

        write_match(build_match(seed, minutes), str(folder))
    lines = (folder / "truth.jsonl").read_text(encoding="utf-8").splitlines()
    truth = tuple(LoggedEvent(d.pop("id"), d.pop("type"), d.pop("t"), d) for d in map(json.loads, lines))
    audio = read_audio(str(path))
    return TrainingMaterial(name, str(path), audio, truth, PitchVideo(truth, len(audio) / ANALYSIS_RATE))
