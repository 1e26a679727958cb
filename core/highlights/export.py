"""The highlights as an OpenTimelineIO timeline, written as OTIO JSON or, through OTIO's CMX 3600
adapter, as an EDL.

The timeline's first video track, "Highlights", holds one clip per moment, in time order, each cut from
the media file (source time = media time) and carrying a marker for every approved event inside it.
An OTIO file adds a second track, "Match": the whole media file as one clip with a marker for every
approved event, so none is lost between clips. A CMX 3600 EDL holds exactly one video track, so an EDL
carries the Highlights track alone.
"""
from __future__ import annotations

import math
from pathlib import Path

import opentimelineio as otio

from core.files import write_output
from core.errors import InputError
from core.highlights.events import MarkedEvent
from core.highlights.moments import Moment

FORMATS = {".otio": "otio_json", ".edl": "cmx_3600"}
"""Output adapter by the file's extension."""
MARKER_COLORS = {"goal": otio.schema.MarkerColor.RED, "penalty_awarded": otio.schema.MarkerColor.ORANGE,
                 "red_card": otio.schema.MarkerColor.MAGENTA, "yellow_card": otio.schema.MarkerColor.YELLOW,
                 "kickoff": otio.schema.MarkerColor.GREEN, "half_time": otio.schema.MarkerColor.GREEN,
                 "full_time": otio.schema.MarkerColor.GREEN}
"""Marker colour by event type; every other type is blue."""


def adapter_for(path: str) -> str:
    """The OTIO adapter that writes ``path`` (``-`` is OTIO JSON); InputError for other extensions."""
    if path == "-":
        return "otio_json"
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise InputError(path, f"unknown output format {suffix or '(no extension)'!r}; use .otio or .edl")
    return FORMATS[suffix]


def build_timeline(media: str, duration_s: float, moments: list[Moment], events: list[MarkedEvent],
                   fps: float, with_match_track: bool) -> otio.schema.Timeline:
    """The highlights timeline (see the module docstring)."""
    name = Path(media).name
    reference = otio.schema.ExternalReference(
        target_url=Path(media).resolve().as_uri(),
        available_range=otio.opentime.TimeRange(_frame(0.0, fps), _frame(duration_s, fps, up=True)))
    timeline = otio.schema.Timeline(name=f"{Path(media).stem} highlights")
    track = otio.schema.Track(name="Highlights", kind=otio.schema.TrackKind.Video)
    for moment in moments:
        start = _frame(moment.clip_start_s, fps)
        end = _frame(moment.clip_end_s, fps, up=True)
        clip = otio.schema.Clip(name=f"{name} #{moment.rank}", media_reference=reference.clone(),
                                source_range=otio.opentime.TimeRange(start, end - start),
                                metadata={"matchsync": {"rank": moment.rank, "score": round(moment.score, 3),
                                                        "peak_s": round(moment.peak_s, 3),
                                                        "start_s": round(moment.start_s, 3),
                                                        "end_s": round(moment.end_s, 3)}})
        for event in events:
            if moment.clip_start_s <= event.t <= moment.clip_end_s:
                clip.markers.append(_marker(event, fps))
        track.append(clip)
    timeline.tracks.append(track)
    if with_match_track:
        match = otio.schema.Track(name="Match", kind=otio.schema.TrackKind.Video)
        whole = otio.schema.Clip(name=name, media_reference=reference.clone(),
                                 source_range=reference.available_range)
        whole.markers.extend(_marker(event, fps) for event in events)
        match.append(whole)
        timeline.tracks.append(match)
    return timeline


def write_timeline(timeline: otio.schema.Timeline, path: str, adapter: str) -> None:
    """Write ``timeline`` to ``path`` (``-``: standard output) with ``adapter``; atomic for a file."""
    write_output(path, otio.adapters.write_to_string(timeline, adapter_name=adapter))


def _frame(t: float, fps: float, up: bool = False) -> otio.opentime.RationalTime:
    frames = t * fps
    return otio.opentime.RationalTime(math.ceil(frames - 1e-9) if up else math.floor(frames + 1e-9), fps)


def _marker(event: MarkedEvent, fps: float) -> otio.schema.Marker:
    return otio.schema.Marker(
        name=f"{event.type} {event.id}",
        marked_range=otio.opentime.TimeRange(_frame(event.t, fps), otio.opentime.RationalTime(0, fps)),
        color=MARKER_COLORS.get(event.type, otio.schema.MarkerColor.BLUE),
        metadata={"matchsync": {"id": event.id, "type": event.type, "t": event.t,
                                "confidence": event.confidence, "basis": event.basis}})
