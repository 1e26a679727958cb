"""SMPTE linear timecode (LTC) on an audio channel.

    smpte.py    the SMPTE 12M frame: fields <-> 80 bits, drop-frame counting, frame rates
    libltc.py   ctypes bindings to the field's own library, libltc (Debian libltc11): decoder and encoder
    decode.py   LtcReader: streaming decoder (libltc) reporting each frame with its sample span and the rate
    encode.py   an encoder written independently from the SMPTE 12M bit layout (biphase mark)
"""
from core.ltc.decode import LtcFrame, LtcReader, decode_file
from core.ltc.smpte import Timecode

__all__ = ["LtcFrame", "LtcReader", "Timecode", "decode_file"]
