"""Match sound to the default output device, when there is one."""
from __future__ import annotations

import numpy as np


class SoundOut:
    """Plays from a point and stops; ``problem`` says why it stays silent (no device, no PortAudio)."""

    def __init__(self) -> None:
        self.problem: str | None = None
        try:
            import sounddevice as sd

            sd.query_devices(kind="output")
            self._sd = sd
        except Exception:  # PortAudio missing (OSError) or no device (PortAudioError, ValueError)
            self._sd = None
            self.problem = "no sound output device: playing silently"

    def play(self, audio: np.ndarray, rate: int, from_s: float) -> None:
        """Play ``audio`` from ``from_s`` seconds (replacing whatever was playing)."""
        if self._sd is not None:
            self._sd.play(audio[int(from_s * rate):], rate)

    def stop(self) -> None:
        if self._sd is not None:
            self._sd.stop()
