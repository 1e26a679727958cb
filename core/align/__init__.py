"""Multi-feed alignment: each extra feed's clock mapped onto the master's by GCC-PHAT with drift tracking.

    gcc.py       one generalised cross-correlation (PHAT weighting) with sub-sample peak and peak-to-noise ratio
    track.py     FeedTrack: per-feed line fit (offset, drift), lock, jump and dropout handling
    stream.py    FeedAligner / MultiAligner: the streaming objects fed blocks of master and feed audio
    offline.py   align_files: the same code over media files (`matchsync align`)

A sound heard at feed time t_f happens at master time t_m = offset_s + t_f * (1 + drift_ppm * 1e-6).
"""
from core.align.stream import AlignmentReading, FeedAligner, MultiAligner

__all__ = ["AlignmentReading", "FeedAligner", "MultiAligner"]
