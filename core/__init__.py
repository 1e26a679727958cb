"""MatchSync core: media clock, ingest, DSP, detectors, sync and publishing. Never imports Qt."""

ANALYSIS_RATE = 16_000
"""Every sample index inside ``core`` counts samples at this rate from the session's first sample."""
