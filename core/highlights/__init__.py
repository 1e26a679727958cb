"""Highlights: an excitement score over a match's audio, its top moments as clips, exported through
OpenTimelineIO (OTIO JSON, or CMX 3600 EDL) with a marker for every approved event."""
