"""PyInstaller runtime hook: sounddevice finds PortAudio through ctypes.util.find_library, which on Linux
searches only the system's libraries; point it at the copy bundled in the app folder first, so the built
app has sound input on a machine without libportaudio2."""
import ctypes.util
import os
import sys

_system_find_library = ctypes.util.find_library
_BUNDLED = os.path.join(sys._MEIPASS, "libportaudio.so.2")


def _find_library(name: str) -> str | None:
    if name == "portaudio" and os.path.isfile(_BUNDLED):
        return _BUNDLED
    return _system_find_library(name)


ctypes.util.find_library = _find_library
