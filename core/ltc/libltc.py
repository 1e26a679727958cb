"""ctypes bindings to libltc (Debian package libltc11): the decoder, and the encoder used as a reference."""
from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Iterator
from functools import cache

import numpy as np

from core.ltc.smpte import RATES, Timecode

LIBRARY_NAMES = ("libltc.so.11", "libltc.so")
TV_STANDARD = {"24": 3, "25": 1, "29.97": 0, "30": 0}
"""enum LTC_TV_STANDARD per rate: FILM_24, 625_50, 525_60, 525_60 (sets the parity bit's position)."""


class LTCFrame(ctypes.Structure):
    """struct LTCFrame: 80 bits of unsigned-int bit fields (12 bytes with padding); bit i is byte i//8, bit i%8."""

    _fields_ = [("words", ctypes.c_uint32 * 3)]

    def bits(self) -> np.ndarray:
        return np.unpackbits(np.frombuffer(bytes(self)[:10], np.uint8), bitorder="little")


class LTCFrameExt(ctypes.Structure):
    _fields_ = [("ltc", LTCFrame), ("off_start", ctypes.c_longlong), ("off_end", ctypes.c_longlong),
                ("reverse", ctypes.c_int), ("biphase_tics", ctypes.c_float * 80),
                ("sample_min", ctypes.c_ubyte), ("sample_max", ctypes.c_ubyte), ("volume", ctypes.c_double)]


class SMPTETimecode(ctypes.Structure):
    _fields_ = [("timezone", ctypes.c_char * 6), ("years", ctypes.c_ubyte), ("months", ctypes.c_ubyte),
                ("days", ctypes.c_ubyte), ("hours", ctypes.c_ubyte), ("mins", ctypes.c_ubyte),
                ("secs", ctypes.c_ubyte), ("frame", ctypes.c_ubyte)]


class LibltcMissing(RuntimeError):
    """libltc is not installed."""


@cache
def lib() -> ctypes.CDLL:
    """The loaded library with argument types declared; LibltcMissing if it is not installed."""
    for name in (*LIBRARY_NAMES, ctypes.util.find_library("ltc")):
        if not name:
            continue
        try:
            so = ctypes.CDLL(name)
            break
        except OSError:
            continue
    else:
        raise LibltcMissing("libltc is not installed (Debian: apt-get install libltc11)")
    p, i, d, u = ctypes.c_void_p, ctypes.c_int, ctypes.c_double, ctypes.c_size_t
    sigs = {
        "ltc_decoder_create": (p, [i, i]), "ltc_decoder_free": (i, [p]),
        "ltc_decoder_write_float": (None, [p, ctypes.POINTER(ctypes.c_float), u, ctypes.c_longlong]),
        "ltc_decoder_read": (i, [p, ctypes.POINTER(LTCFrameExt)]),
        "ltc_frame_to_time": (None, [ctypes.POINTER(SMPTETimecode), ctypes.POINTER(LTCFrame), i]),
        "ltc_encoder_create": (p, [d, d, i, i]), "ltc_encoder_free": (None, [p]),
        "ltc_encoder_set_timecode": (None, [p, ctypes.POINTER(SMPTETimecode)]),
        "ltc_encoder_encode_frame": (None, [p]), "ltc_encoder_inc_timecode": (i, [p]),
        "ltc_encoder_get_bufferptr": (i, [p, ctypes.POINTER(ctypes.POINTER(ctypes.c_ubyte)), i]),
        "ltc_encoder_set_volume": (i, [p, d]),
    }
    for fn, (res, args) in sigs.items():
        getattr(so, fn).restype = res
        getattr(so, fn).argtypes = args
    return so


class Decoder:
    """A libltc decoder: write float samples with their stream position, read whole frames."""

    def __init__(self, samples_per_frame: int, queue: int = 64) -> None:
        self._so = lib()
        self._d = self._so.ltc_decoder_create(samples_per_frame, queue)
        self._frame = LTCFrameExt()
        self._tc = SMPTETimecode()

    def write(self, samples: np.ndarray, position: int) -> None:
        buf = np.ascontiguousarray(samples, np.float32)
        self._so.ltc_decoder_write_float(self._d, buf.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), len(buf),
                                         position)

    def read(self) -> Iterator[tuple[Timecode, bytes, int, int, bool, float]]:
        """(timecode, the 10 frame bytes, first sample, last sample, reversed, volume dBFS) of each frame so far."""
        while self._so.ltc_decoder_read(self._d, ctypes.byref(self._frame)):
            f = self._frame
            self._so.ltc_frame_to_time(ctypes.byref(self._tc), ctypes.byref(f.ltc), 0)
            drop = bool(f.ltc.bits()[10])
            yield (Timecode(self._tc.hours, self._tc.mins, self._tc.secs, self._tc.frame, drop),
                   bytes(f.ltc)[:10], int(f.off_start), int(f.off_end), bool(f.reverse), float(f.volume))

    def close(self) -> None:
        if self._d:
            self._so.ltc_decoder_free(self._d)
            self._d = None

    def __del__(self) -> None:
        self.close()


def libltc_encode(frames: int, fps_name: str, rate: int, start: Timecode, *, level_dbfs: float = -3.0
                  ) -> Iterator[np.ndarray]:
    """Float32 chunks (one per frame) of ``frames`` LTC frames written by libltc's own encoder from ``start``."""
    so = lib()
    fps = float(RATES[fps_name][0])
    enc = so.ltc_encoder_create(float(rate), fps, TV_STANDARD[fps_name], 0)
    try:
        so.ltc_encoder_set_volume(enc, level_dbfs)
        tc = SMPTETimecode(b"+0000", 0, 1, 1, start.hours, start.mins, start.secs, start.frame)
        so.ltc_encoder_set_timecode(enc, ctypes.byref(tc))
        ptr = ctypes.POINTER(ctypes.c_ubyte)()
        for _ in range(frames):
            so.ltc_encoder_encode_frame(enc)
            size = so.ltc_encoder_get_bufferptr(enc, ctypes.byref(ptr), 1)
            raw = np.ctypeslib.as_array(ptr, shape=(size,)).astype(np.float32)
            yield (raw - 128.0) / 127.0
            so.ltc_encoder_inc_timecode(enc)
    finally:
        so.ltc_encoder_free(enc)
