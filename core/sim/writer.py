"""Writing a simulated match to disk: match.wav (48 kHz mono PCM 16), truth.jsonl, logged.jsonl, meta.json."""
from __future__ import annotations

import json
from pathlib import Path

import soundfile as sf

from core.errors import InputError
from core.model import LoggedEvent
from core.sim.onsets import SIM_RATE

CHUNK = 10 * SIM_RATE


def write_wav(path: Path, render, samples: int) -> None:
    """Stream ``render(start, count)`` into a 16-bit PCM WAV, one 10-second chunk at a time."""
    with sf.SoundFile(str(path), "w", samplerate=SIM_RATE, channels=1, subtype="PCM_16", format="WAV") as f:
        for start in range(0, samples, CHUNK):
            f.write(render(start, min(CHUNK, samples - start)))


def event_json(event: LoggedEvent) -> dict:
    """A contract event object: id, type, t, then any optional fields."""
    return {"id": event.id, "type": event.type, "t": event.t, **event.extra}


def write_events(path: Path, events: tuple[LoggedEvent, ...]) -> None:
    """One JSON object per line."""
    path.write_text("".join(json.dumps(event_json(e)) + "\n" for e in events), encoding="utf-8")


def prepare(out_dir: str) -> Path:
    """The output folder, created if missing; a file in its place is bad input."""
    path = Path(out_dir)
    if path.exists() and not path.is_dir():
        raise InputError(out_dir, "exists and is not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(out_dir, f"cannot create folder ({exc.strerror})") from None
    return path


def write_meta(path: Path, meta: dict) -> None:
    """meta.json, keys in a fixed order, indented for people."""
    path.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
