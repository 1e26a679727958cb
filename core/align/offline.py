"""Aligning media files to a master file: the streaming aligner over open_media blocks (`matchsync align`)."""
from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass

from core.align.stream import FeedAligner, MultiAligner
from core.errors import InputError
from core.ingest.media import open_media

ALIGN_RATE = 16_000
"""Rate the feeds are compared at: GCC-PHAT with a sub-sample peak resolves well below 1 ms here."""
MIN_DROPOUT_S = 0.5
"""Silent stretches at least this long are reported as dropouts."""


@dataclass(frozen=True, slots=True)
class FeedAlignment:
    """The result for one feed: the contract's object plus segments (after jumps) and warnings."""

    feed: str
    offset_s: float | None
    drift_ppm: float | None
    confidence: float
    segments: tuple[dict, ...]
    warnings: tuple[str, ...]

    def to_json(self) -> dict:
        """The contract's alignment object with ``segments`` and ``warnings``."""
        return {"feed": self.feed,
                "offset_s": None if self.offset_s is None else round(self.offset_s, 6),
                "drift_ppm": None if self.drift_ppm is None else round(self.drift_ppm, 3),
                "confidence": round(self.confidence, 3), "segments": list(self.segments),
                "warnings": list(self.warnings)}


def align_files(master: str, feeds: list[str], *, channel: int | None = None, search_s: float = 30.0,
                rate: int = ALIGN_RATE) -> list[FeedAlignment]:
    """Each feed's clock mapped onto the master's; the figures are those of each feed's last segment."""
    if master in feeds:
        raise InputError(master, "is the master: a feed must be another file")
    aligner = MultiAligner(rate, search_s=search_s)
    with ExitStack() as stack:
        m_reader = stack.enter_context(open_media(master, channel=channel, rate=rate, block_samples=rate))
        readers = {}
        for path in feeds:
            if path in readers:
                raise InputError(path, "given twice")
            readers[path] = stack.enter_context(open_media(path, channel=channel, rate=rate, block_samples=rate))
            aligner.add_feed(path)
        streams = {None: iter(m_reader), **{p: iter(r) for p, r in readers.items()}}
        while streams:
            for key in list(streams):
                block = next(streams[key], None)
                if block is None:
                    del streams[key]
                    if key is None:
                        aligner.finish()
                elif key is None:
                    aligner.push_master(block.samples)
                else:
                    aligner.push_feed(key, block.samples)
            aligner.poll()
        aligner.finish()
        aligner.poll()
        if aligner.master.end == 0:
            raise InputError(master, "no audio samples")
        return [_result(aligner.feeds[p], readers[p], m_reader) for p in feeds]


def _result(feed: FeedAligner, reader, m_reader) -> FeedAlignment:
    warnings = []
    if reader.native_rate != m_reader.native_rate:
        warnings.append(f"sample rate {reader.native_rate} Hz differs from the master's {m_reader.native_rate} Hz: "
                        f"both resampled to {feed.rate} Hz; a wrong nominal rate shows as drift")
    for start, length in reader.dropouts:
        warnings.append(f"container gap of {length / feed.rate:.2f} s at {start / feed.rate:.2f} s filled with silence")
    silent = sum(b - a for a, b in feed.silent_spans)
    seconds = feed.samples / feed.rate
    if seconds == 0 or silent >= 0.9 * seconds:
        warnings.append("feed is silent: nothing to align")
    else:
        warnings += [f"silent from {a:.1f} s to {b:.1f} s (dropout?): those windows were skipped"
                     for a, b in feed.silent_spans if b - a >= MIN_DROPOUT_S]
    warnings += feed.warnings
    current = feed.current()
    if current.offset_s is None and seconds > 0 and silent < 0.9 * seconds:
        warnings.append("no match with the master found: offset unknown")
    segments = tuple({"t_f_start": round(s.t_start, 3), "t_f_end": round(s.points[-1][0], 3),
                      "offset_s": round(s.a, 6), "drift_ppm": round(s.b * 1e6, 3), "windows": len(s.points)}
                     for s in feed.segments)
    return FeedAlignment(feed.name, current.offset_s, current.drift_ppm, current.confidence, segments,
                         tuple(warnings))
