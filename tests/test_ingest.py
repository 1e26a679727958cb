"""Media ingest: real files written here (soundfile, PyAV's own encoders) and the field recordings."""
from __future__ import annotations

import fractions
import os
import subprocess
import sys
import threading
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf
import soxr

from core import ANALYSIS_RATE
from core.errors import InputError
from core.ingest.media import open_media

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def clicks(rate: int, seconds: float, at_s: list[float], channels: int = 1) -> np.ndarray:
    """Quiet noise with one full-scale click per time in ``at_s``; shape (channels, n)."""
    x = np.random.default_rng(7).standard_normal((channels, int(rate * seconds))).astype(np.float32) * 0.001
    for t in at_s:
        x[:, round(t * rate)] = 0.9
    return x


def encode(path: Path, fmt: str, codec: str, signal: np.ndarray, rate: int,
           jump: tuple[float, float] | None = None, pts_step: float = 1.0) -> int:
    """Encode ``signal`` with PyAV; ``jump=(at_s, gap_s)`` skips the PTS ahead by ``gap_s`` once the frames
    reach ``at_s``; ``pts_step`` < 1 makes frame PTS advance slower than their length (overlaps).
    Returns the encoder's priming (samples before the first input sample)."""
    layout = "mono" if signal.shape[0] == 1 else "stereo"
    priming = 0
    with av.open(str(path), "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=rate)
        stream.layout = layout
        size = stream.codec_context.frame_size or 1024
        pts = 0
        for i in range(0, signal.shape[1], size):
            if jump and i >= jump[0] * rate and pts < i + jump[1] * rate:
                pts += round(jump[1] * rate)
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(signal[:, i : i + size]), format="fltp",
                                               layout=layout)
            frame.sample_rate, frame.pts, frame.time_base = rate, pts, fractions.Fraction(1, rate)
            pts += round(frame.samples * pts_step)
            for packet in stream.encode(frame):
                if packet.pts is not None and packet.pts < 0:
                    priming = max(priming, round(-packet.pts * packet.time_base * rate))
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return priming


def read_all(path: Path | str, **kw) -> tuple[np.ndarray, list, object]:
    with open_media(str(path), **kw) as media:
        blocks = list(media)
    return np.concatenate([b.samples for b in blocks]), blocks, media


def peaks(y: np.ndarray, count: int) -> list[int]:
    """Indices of the ``count`` largest isolated peaks, in time order."""
    y = np.abs(y).copy()
    found = []
    for _ in range(count):
        i = int(np.argmax(y))
        found.append(i)
        y[max(0, i - 200) : i + 200] = 0
    return sorted(found)


# -- timing and sample counts -------------------------------------------------------------------------------

@pytest.mark.parametrize("rate", [44_100, 48_000, 48_128, 22_050, 8_000])
@pytest.mark.parametrize("fmt", ["WAV", "FLAC"])
def test_soundfile_clicks_land_on_their_sample_at_every_rate(tmp_path, rate, fmt):
    at = [0.5, 2.25, 3.9]
    path = tmp_path / f"clicks.{fmt.lower()}"
    sf.write(path, clicks(rate, 4.0, at).T, rate, format=fmt, subtype="PCM_16")
    y, blocks, media = read_all(path)
    assert media.native_rate == rate and media.channels == 1
    assert media.duration_s == pytest.approx(4.0, abs=1 / rate)
    assert abs(len(y) - 4.0 * ANALYSIS_RATE) <= 2
    assert [b.start for b in blocks] == list(range(0, len(y), ANALYSIS_RATE))
    assert y.dtype == np.float32
    for found, t in zip(peaks(y, 3), at):
        assert abs(found - t * ANALYSIS_RATE) <= 2, (found, t)


def test_ogg_vorbis_click_lands_on_its_sample(tmp_path):
    path = tmp_path / "clicks.ogg"
    sf.write(path, clicks(44_100, 3.0, [1.0, 2.0]).T, 44_100, format="OGG", subtype="VORBIS")
    y, _, _ = read_all(path)
    assert abs(len(y) - 3 * ANALYSIS_RATE) <= 2
    assert [abs(p - t * ANALYSIS_RATE) <= 3 for p, t in zip(peaks(y, 2), [1.0, 2.0])] == [True, True]


# (format, codec, extension, does the container carry the encoder's priming so the decoder trims it?)
CONTAINERS = [
    ("mp4", "aac", "mp4", True),
    ("matroska", "aac", "mkv", True),
    ("mpegts", "aac", "ts", False),  # MPEG-TS cannot signal AAC priming: it stays on the media clock
    ("mp3", "libmp3lame", "mp3", True),  # LAME header (gapless info)
    ("matroska", "libopus", "mka", True),
    ("avi", "ac3", "avi", False),  # AVI is RIFF, like WAV: libsndfile declines it, FFmpeg reads it
]


@pytest.mark.parametrize("fmt,codec,ext,trims_priming", CONTAINERS)
def test_ffmpeg_clicks_land_on_their_sample(tmp_path, fmt, codec, ext, trims_priming):
    rate, at = 48_000, [0.75, 2.5]
    path = tmp_path / f"clicks.{ext}"
    priming = encode(path, fmt, codec, clicks(rate, 3.5, at), rate)
    shift = 0 if trims_priming else priming * ANALYSIS_RATE / rate
    y, blocks, media = read_all(path)
    assert media.native_rate == rate and media.channels == 1 and media.dropouts == []
    assert media.duration_s == pytest.approx(3.5, abs=0.05)
    assert abs(len(y) - 3.5 * ANALYSIS_RATE - shift) <= 0.03 * ANALYSIS_RATE  # codecs pad the last frame
    assert all(len(b.samples) == ANALYSIS_RATE for b in blocks[:-1])
    for found, t in zip(peaks(y, 2), at):
        assert abs(found - t * ANALYSIS_RATE - shift) <= 3, (found, t, shift)


def test_stereo_channel_choice_and_mixdown_through_ffmpeg(tmp_path):
    rate = 44_100
    x = clicks(rate, 2.0, [], channels=2)
    x[0, round(0.5 * rate)] = 0.9
    x[1, round(1.5 * rate)] = 0.9
    path = tmp_path / "stereo.mkv"
    encode(path, "matroska", "aac", x, rate)
    left, _, media = read_all(path, channel=0)
    right, _, _ = read_all(path, channel=1)
    mixed, _, _ = read_all(path)
    assert media.channels == 2
    assert abs(int(np.argmax(np.abs(left))) - 0.5 * ANALYSIS_RATE) <= 3
    assert abs(int(np.argmax(np.abs(right))) - 1.5 * ANALYSIS_RATE) <= 3
    np.testing.assert_allclose(mixed, (left + right) / 2, atol=1e-5)


# -- channels and resampling on the field recordings -----------------------------------------------------------

def test_demo_wav_channel_choice_matches_soxr_of_that_channel(shared_data):
    path = shared_data / "whistle/naodevils/Demo.wav"
    native, native_rate = sf.read(path, dtype="float32", always_2d=True)
    assert native.shape[1] == 4 and native_rate == 44_100
    outputs = []
    for c in range(4):
        y, _, media = read_all(path, channel=c)
        expected = soxr.resample(native[:, c], native_rate, ANALYSIS_RATE, quality="HQ")
        assert abs(len(y) - len(expected)) <= 1
        n = min(len(y), len(expected))
        assert np.max(np.abs(y[:n] - expected[:n])) < 1e-3 * max(1e-6, np.max(np.abs(expected)))
        outputs.append(y[:n])
    assert min(np.max(np.abs(outputs[a] - outputs[b])) for a in range(4) for b in range(a + 1, 4)) > 1e-4
    mixed, _, _ = read_all(path)
    np.testing.assert_allclose(mixed[: len(outputs[0])], np.mean(outputs, axis=0), atol=1e-4)
    with pytest.raises(InputError, match="channel 4 does not exist"):
        open_media(str(path), channel=4)


def test_field_recordings_keep_their_length(shared_data):
    files = sorted(shared_data.rglob("*.wav"))
    assert len(files) >= 60
    rates = set()
    for path in files:
        info = sf.info(path)
        rates.add(info.samplerate)
        y, _, media = read_all(path)
        assert media.duration_s == pytest.approx(info.frames / info.samplerate)
        assert abs(len(y) - info.frames * ANALYSIS_RATE / info.samplerate) <= 2, path.name
        assert np.isfinite(y).all()
    assert {48_128, 44_100} <= rates


@pytest.mark.parametrize("block_samples", [1, 37, 16_000])
def test_block_size_changes_only_the_cut(shared_data, block_samples):
    path = shared_data / "whistle/runswift/whistle_yes/whistle_1_metre.wav"
    reference, _, _ = read_all(path, block_samples=4096)
    y, blocks, _ = read_all(path, block_samples=block_samples)
    assert all(len(b.samples) == block_samples for b in blocks[:-1])
    assert all(b.start == i * block_samples for i, b in enumerate(blocks))
    np.testing.assert_array_equal(y, reference)


# -- dropouts ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt,ext,slack", [("mpegts", "ts", 2), ("matroska", "mkv", 12)])  # Matroska: 1 ms PTS
def test_pts_jump_is_a_dropout_filled_with_silence(tmp_path, fmt, ext, slack):
    rate, jump_at, gap = 48_000, 1.0, 0.5
    path = tmp_path / f"gap.{ext}"
    priming = encode(path, fmt, "aac", clicks(rate, 3.0, [2.0]), rate, jump=(jump_at, gap))
    shift = priming * ANALYSIS_RATE / rate if fmt == "mpegts" else 0
    y, _, media = read_all(path)
    assert len(media.dropouts) == 1 and media.discontinuities == []
    start, length = media.dropouts[0]
    first_frame_after = -(-jump_at * rate // 1024) * 1024  # the encoder jumps at a frame boundary
    assert abs(start - first_frame_after * ANALYSIS_RATE / rate - shift) <= slack
    assert abs(length - gap * ANALYSIS_RATE) <= slack
    assert np.max(np.abs(y[start + 50 : start + length - 50])) < 1e-5  # silence (the noise is 1e-3)
    assert abs(int(np.argmax(np.abs(y))) - (2.0 + gap) * ANALYSIS_RATE - shift) <= slack


def test_overlapping_frames_are_trimmed_to_keep_the_clock(tmp_path):
    rate = 48_000
    path = tmp_path / "overlap.mkv"  # Matroska timestamps do not restart: a step back is an overlap
    encode(path, "matroska", "mp2", clicks(rate, 2.0, [1.0]), rate, pts_step=0.75)
    y, _, media = read_all(path)
    assert media.dropouts == [] and media.discontinuities == []
    assert abs(len(y) - 0.75 * 2.0 * ANALYSIS_RATE) <= 0.05 * ANALYSIS_RATE


# -- streaming -------------------------------------------------------------------------------------------------

def test_ffmpeg_source_is_decoded_while_it_is_still_being_written(tmp_path):
    """A FIFO holds a few KB: the first block must come out while the writer still has most of the file."""
    rate = 48_000
    encoded = tmp_path / "long.ts"
    encode(encoded, "mpegts", "aac", clicks(rate, 20.0, []), rate)
    data = encoded.read_bytes()
    fifo = tmp_path / "pipe.ts"
    os.mkfifo(fifo)
    written = [0]

    def writer() -> None:
        with open(fifo, "wb") as f:
            for i in range(0, len(data), 4096):
                f.write(data[i : i + 4096])
                written[0] = i + 4096

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    with open_media(str(fifo)) as media:
        blocks = iter(media)
        next(blocks)
        seen_at_first_block = written[0]
        rest = sum(len(b.samples) for b in blocks)
    thread.join(5)
    assert seen_at_first_block < len(data) / 2
    assert rest + ANALYSIS_RATE >= 19.9 * ANALYSIS_RATE


PEAK_RSS = """
import resource, sys
from core.ingest.media import open_media
import numpy, soundfile, soxr, av
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
n = 0
with open_media(sys.argv[1]) as media:
    for block in media:
        n += len(block.samples)
print(n, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) // 1024)
"""


def test_memory_does_not_grow_with_file_length(tmp_path):
    """A 30-minute 48 kHz WAV (170 MB on disk, 115 MB as 16 kHz float32) streams in a few MB."""
    path = tmp_path / "long.wav"
    rate, minutes = 48_000, 30
    with sf.SoundFile(path, "w", samplerate=rate, channels=1, subtype="PCM_16") as f:
        second = (np.sin(np.arange(rate) * 0.05) * 0.3).astype(np.float32)
        for _ in range(minutes * 60):
            f.write(second)
    run = subprocess.run([PYTHON, "-c", PEAK_RSS, str(path)], capture_output=True, text=True, cwd=ROOT,
                         check=True)
    samples, grew_mb = map(int, run.stdout.split())
    assert samples == minutes * 60 * ANALYSIS_RATE
    assert grew_mb < 40, f"peak RSS grew {grew_mb} MB while reading"


# -- bad input -------------------------------------------------------------------------------------------------

def good_wav(tmp_path: Path) -> Path:
    path = tmp_path / "good.wav"
    sf.write(path, clicks(48_000, 3.0, [1.0]).T, 48_000, subtype="PCM_16")
    return path


def cut(src: Path, dst: Path, keep: float) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * keep)])
    return dst


def bad_input(kind: str, folder: Path) -> Path:
    """Write one kind of unreadable input into ``folder``."""
    text = "kick-off 19:45, foul 20:13\n" * 200
    if kind == "missing":
        return folder / "missing.wav"
    if kind == "empty":
        (folder / "empty.wav").write_bytes(b"")
        return folder / "empty.wav"
    if kind == "no samples":
        sf.write(folder / "header_only.wav", np.zeros(0, np.float32), 48_000)
        return folder / "header_only.wav"
    if kind == "text":
        (folder / "notes.txt").write_text(text)
        return folder / "notes.txt"
    if kind == "text named wav":
        (folder / "notes.wav").write_text(text)
        return folder / "notes.wav"
    return folder


@pytest.mark.parametrize("kind,problem", [
    ("missing", "file not found"), ("empty", "empty file"), ("text", "not a media file"),
    ("text named wav", "not a media file"), ("folder", "is a folder"), ("no samples", "no audio samples"),
])
def test_unreadable_inputs_name_the_problem(tmp_path, kind, problem):
    path = bad_input(kind, tmp_path)
    with pytest.raises(InputError, match=problem) as info:
        with open_media(str(path)) as media:
            list(media)
    assert info.value.where == str(path)


def test_corrupt_headers_are_errors(tmp_path):
    wav = good_wav(tmp_path)
    broken = bytearray(wav.read_bytes())
    broken[:12] = b"\x13\x37" * 6
    (tmp_path / "bad.wav").write_bytes(broken)
    mp4 = tmp_path / "good.mp4"
    encode(mp4, "mp4", "aac", clicks(48_000, 2.0, []), 48_000)
    mp4_broken = bytearray(mp4.read_bytes())
    mp4_broken[:64] = bytes(64)
    (tmp_path / "bad.mp4").write_bytes(mp4_broken)
    for name in ("bad.wav", "bad.mp4"):
        with pytest.raises(InputError, match="header is corrupt"):
            open_media(str(tmp_path / name))
    with pytest.raises(InputError, match="header is corrupt"):  # an MP4 cut short loses its index (moov)
        open_media(str(cut(mp4, tmp_path / "cut.mp4", 0.5)))


@pytest.mark.parametrize("kind", ["wav", "mp3", "flac"])
def test_truncated_file_yields_what_is_there_then_says_truncated(tmp_path, kind):
    signal = clicks(48_000, 6.0, [1.0])
    full = tmp_path / f"full.{kind}"
    if kind == "mp3":
        encode(full, "mp3", "libmp3lame", signal, 48_000)
    else:
        sf.write(full, signal.T, 48_000, subtype="PCM_16")
    blocks = []
    with pytest.raises(InputError, match="truncated") as info:
        with open_media(str(cut(full, tmp_path / f"cut.{kind}", 0.5))) as media:
            blocks.extend(media)
    assert info.value.where.endswith(f"cut.{kind}")
    got = sum(len(b.samples) for b in blocks) / ANALYSIS_RATE
    assert 1.5 <= got <= 3.1, got
    y = np.concatenate([b.samples for b in blocks])
    assert abs(int(np.argmax(np.abs(y))) - ANALYSIS_RATE) <= 3


def test_video_without_audio_says_no_audio_stream(tmp_path):
    path = tmp_path / "silent_film.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(10):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 20, np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    with pytest.raises(InputError, match="no audio stream"):
        open_media(str(path))


# -- live --------------------------------------------------------------------------------------------------------

def test_live_mpegts_over_udp_keeps_the_media_clock(tmp_path):
    """A real MPEG-TS stream sent over UDP on 127.0.0.1 (paced, like a contribution feed) through open_media."""
    import socket
    import time

    rate, at = 48_000, [2.0, 6.0]
    path = tmp_path / "feed.ts"
    priming = encode(path, "mpegts", "aac", clicks(rate, 9.0, at), rate)
    data = path.read_bytes()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    def send() -> None:
        time.sleep(1.0)  # the receiver binds as open_media starts
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
            for i in range(0, len(data), 1316):
                tx.sendto(data[i : i + 1316], ("127.0.0.1", port))
                time.sleep(0.0005)

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    got: list[np.ndarray] = []
    with open_media(f"udp://127.0.0.1:{port}") as media:
        for block in media:
            got.append(block.samples)
            if sum(map(len, got)) >= 8 * ANALYSIS_RATE:  # the rest would wait for the read timeout
                break
        assert media.native_rate == rate and media.dropouts == []
    sender.join(5)
    y = np.concatenate(got)
    shift = priming * ANALYSIS_RATE / rate
    for found, t in zip(peaks(y, 2), at):
        assert abs(found - t * ANALYSIS_RATE - shift) <= 3, (found, t)


def test_spliced_mpegts_restarts_its_clock_and_keeps_the_first_format(tmp_path):
    """Two TS files joined byte-wise (as a broadcast splice): stereo 48 kHz, then mono 44.1 kHz from PTS 0."""
    first, second = tmp_path / "first.ts", tmp_path / "second.ts"
    priming_1 = encode(first, "mpegts", "aac", clicks(48_000, 3.0, [1.0], channels=2), 48_000)
    priming_2 = encode(second, "mpegts", "aac", clicks(44_100, 3.0, [1.0]), 44_100)
    assert priming_1 and priming_2
    first_len = len(read_all(first)[0])
    spliced = tmp_path / "spliced.ts"
    spliced.write_bytes(first.read_bytes() + second.read_bytes())
    for channel in (None, 1):
        y, _, media = read_all(spliced, channel=channel)
        assert (media.native_rate, media.channels) == (48_000, 2)
        assert media.dropouts == []
        assert len(media.discontinuities) == 1 and abs(media.discontinuities[0] - first_len) <= 2
        assert abs(len(y) - first_len - (3.0 + priming_2 / 44_100) * ANALYSIS_RATE) <= 0.03 * ANALYSIS_RATE
        expected = [(1.0 + priming_1 / 48_000) * ANALYSIS_RATE, first_len + (1.0 + priming_2 / 44_100) * ANALYSIS_RATE]
        for found, want in zip(peaks(y, 2), expected):
            assert abs(found - want) <= 3, (found, want)


@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_24", "FLOAT"])
def test_samples_are_exactly_what_libsndfile_decodes(tmp_path, subtype):
    """Whatever the sample format, the native-rate samples are libsndfile's own float conversion."""
    path = tmp_path / f"{subtype}.wav"
    x = np.clip(np.random.default_rng(3).standard_normal((3 * 16_000, 2)) * 0.3, -1, 1)
    sf.write(path, x, 16_000, subtype=subtype)
    expected, _ = sf.read(path, dtype="float32")
    for channel in (0, 1):
        y, _, _ = read_all(path, channel=channel)
        np.testing.assert_array_equal(y, expected[:, channel])


def test_blocks_are_read_only_values(shared_data):
    _, blocks, _ = read_all(shared_data / "crowd/freesound/applause.wav", block_samples=5000)
    for block in blocks:
        with pytest.raises(ValueError):
            block.samples[0] = 1.0


def test_damage_inside_a_stream_is_reported_after_the_rest_is_decoded(tmp_path):
    """2 KB of garbage in the middle of an MP3: the rest decodes, then the damage is an error."""
    full = tmp_path / "full.mp3"
    encode(full, "mp3", "libmp3lame", clicks(48_000, 6.0, [1.0, 5.0]), 48_000)
    data = bytearray(full.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 2000] = np.random.default_rng(5).integers(0, 256, 2000, dtype=np.uint8).tobytes()
    damaged = tmp_path / "damaged.mp3"
    damaged.write_bytes(bytes(data))
    blocks = []
    with pytest.raises(InputError, match="corrupt"):
        with open_media(str(damaged)) as media:
            blocks.extend(media)
    y = np.concatenate([b.samples for b in blocks])
    assert len(y) > 5.5 * ANALYSIS_RATE
    assert abs(peaks(y, 2)[0] - ANALYSIS_RATE) <= 3


def test_broadcast_style_file_with_video_reads_its_audio(tmp_path):
    """An MKV with a video stream first and AAC audio second: the audio is found and keeps its clock."""
    rate, at = 48_000, [1.25]
    signal = clicks(rate, 2.0, at)
    path = tmp_path / "programme.mkv"
    with av.open(str(path), "w") as out:
        video = out.add_stream("mpeg4", rate=25)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        audio = out.add_stream("aac", rate=rate)
        audio.layout = "mono"
        for i in range(50):
            picture = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 5, np.uint8), format="rgb24")
            for packet in video.encode(picture):
                out.mux(packet)
        for i in range(0, signal.shape[1], 1024):
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(signal[:, i : i + 1024]), format="fltp",
                                               layout="mono")
            frame.sample_rate, frame.pts = rate, i
            for packet in audio.encode(frame):
                out.mux(packet)
        for stream in (video, audio):
            for packet in stream.encode(None):
                out.mux(packet)
    y, _, media = read_all(path)
    assert (media.native_rate, media.channels) == (rate, 1)
    assert abs(peaks(y, 1)[0] - at[0] * ANALYSIS_RATE) <= 3
