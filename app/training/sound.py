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

    def play(self, audio: np.ndarray, rate: int, from_s: float) -> bool:
        """Play ``audio`` from ``from_s`` seconds (replacing whatever was playing).

        A device that fails to open (unplugged, busy, a sound server gone) turns sound off for the rest
        of the session with ``problem`` saying why; training goes on silently. Returns whether it plays.
        """
        if self._sd is None:
            return False
        try:
            self._sd.play(audio[int(from_s * rate):], rate)
        except Exception as exc:  # sounddevice.PortAudioError and the OSError/ValueError it wraps
            self._sd = None
            self.problem = f"sound output failed ({exc}): playing silently"
            return False
        return True

    def stop(self) -> None:
        if self._sd is not None:
            self._sd.stop()
