"""LTC: libltc decodes every frame written by libltc's encoder and by our own SMPTE 12M encoder.

The full 10-minute track is tested at 29.97 drop-frame (the hardest count); 24, 25 and 30 fps get 2 minutes
each here, and benchmarks/ltc_matrix.py runs all four rates for 10 minutes.
"""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from core.errors import InputError
from core.ltc import LtcReader, decode_file
from core.ltc.encode import encode_ltc
from core.ltc.libltc import libltc_encode
from core.ltc.smpte import RATES, SYNC_WORD, Timecode, frame_bits, frame_count, polarity_bit, timecode_at

RATE = 48_000
START = Timecode(9, 58, 30, 0)
"""Crosses an hour and several drop-frame minutes (and a tenth minute, which keeps its frames)."""


def track(encoder: str, fps: str, minutes: float, *, quiet_noisy: bool, seed: int = 0):
    """Chunks of an LTC track; quiet_noisy: at -30 dBFS RMS with white noise 20 dB below it."""
    first = frame_count(Timecode(START.hours, START.mins, START.secs, 0, RATES[fps][1]), fps)
    frames = int(minutes * 60 * float(RATES[fps][0]))
    if encoder == "ours":
        chunks = encode_ltc(frames, fps, RATE, first=first)
    else:
        chunks = libltc_encode(frames, fps, RATE, timecode_at(first, fps))
    rng = np.random.default_rng(seed)
    for chunk in chunks:
        if quiet_noisy:
            # both encoders write a square wave of peak 10^(-3/20): its RMS equals its peak
            chunk = chunk * np.float32(10 ** (-27 / 20))
            chunk = chunk + rng.standard_normal(len(chunk)).astype(np.float32) * np.float32(10 ** (-50 / 20))
        yield chunk


def decode_all(chunks) -> tuple[list, LtcReader]:
    reader = LtcReader(RATE)
    frames = []
    for chunk in chunks:
        frames += reader.push(chunk)
    return frames + reader.flush(), reader


def check_every_frame(frames, reader: LtcReader, fps: str, minutes: float) -> None:
    first = frame_count(Timecode(START.hours, START.mins, START.secs, 0, RATES[fps][1]), fps)
    expected = int(minutes * 60 * float(RATES[fps][0]))
    counts = [frame_count(f.timecode, fps) for f in frames]
    assert len(frames) == expected
    assert counts == list(range(first, first + expected)), "a frame missing, repeated or off by one"
    assert all(f.timecode == timecode_at(c, fps) for f, c in zip(frames, counts))
    name, measured = reader.frame_rate()
    assert name == fps
    assert abs(measured - float(RATES[fps][0])) < 0.001
    # each frame where it belongs (libltc's start is approximate: the first one only roughly, noise moves edges)
    ideal = np.arange(len(frames)) * (RATE / float(RATES[fps][0]))
    error = np.array([f.start for f in frames], np.float64) - ideal
    assert np.median(np.abs(error[1:])) <= 2.0
    assert np.max(np.abs(error[1:])) <= 10.0


@pytest.mark.parametrize("encoder", ["ours", "libltc"])
def test_ten_minutes_drop_frame_quiet_and_noisy(encoder):
    frames, reader = decode_all(track(encoder, "29.97", 10.0, quiet_noisy=True))
    check_every_frame(frames, reader, "29.97", 10.0)
    assert any(f.timecode == Timecode(10, 0, 0, 0, True) for f in frames)
    assert not any(f.timecode.frame < 2 and f.timecode.secs == 0 and f.timecode.mins % 10 for f in frames)


@pytest.mark.parametrize("quiet_noisy", [False, True])
@pytest.mark.parametrize("fps", ["24", "25", "30"])
@pytest.mark.parametrize("encoder", ["ours", "libltc"])
def test_two_minutes_each_rate(encoder, fps, quiet_noisy):
    frames, reader = decode_all(track(encoder, fps, 2.0, quiet_noisy=quiet_noisy, seed=len(fps)))
    check_every_frame(frames, reader, fps, 2.0)


@pytest.mark.parametrize("fps", list(RATES))
def test_our_bit_layout_matches_libltc_bit_for_bit(fps):
    """libltc's encoder and ours put the same 80 bits in every frame, parity bit included."""
    frames, _ = decode_all(track("libltc", fps, 0.2, quiet_noisy=False))
    assert len(frames) > 100
    for f in frames:
        ours = frame_bits(f.timecode, fps)
        assert np.array_equal(np.unpackbits(np.frombuffer(f.raw, np.uint8), bitorder="little"), ours), str(f.timecode)
        assert ours.sum() % 2 == 0
        assert int("".join(map(str, ours[64:])), 2) == SYNC_WORD
        assert ours[10] == (fps == "29.97")
    assert polarity_bit("25") == 59 and polarity_bit("30") == 27


def test_block_sizes_do_not_change_the_frames():
    x = np.concatenate(list(track("ours", "25", 0.25, quiet_noisy=True)))
    a, _ = decode_all([x[i:i + 1000] for i in range(0, len(x), 1000)])
    b, _ = decode_all([x[i:i + 37] for i in range(0, len(x), 37)])
    assert [(f.timecode, f.start, f.end) for f in a] == [(f.timecode, f.start, f.end) for f in b]
    assert len(a) == int(0.25 * 60 * 25)


def test_decode_file_reads_the_chosen_channel(tmp_path):
    ltc = np.concatenate(list(track("ours", "30", 0.5, quiet_noisy=True)))
    programme = np.random.default_rng(3).standard_normal(len(ltc)).astype(np.float32) * 0.1
    path = tmp_path / "cam.flac"
    sf.write(path, np.stack([programme, ltc], axis=1), RATE)
    frames, rate_name = decode_file(str(path), channel=1)
    assert rate_name == "30"
    assert len(frames) == 900
    assert str(frames[0].timecode) == "09:58:30:00"
    with pytest.raises(InputError, match="no LTC found on channel 0"):
        decode_file(str(path), channel=0)
