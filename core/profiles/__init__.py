"""Anchor profiles per sport: data files (resources/profiles/*.toml) mapping event types to anchor kinds.

A profile names the detectors a session runs and, for each event type it knows, the anchor kind an
event of that type is placed on (or none: the clock only), whether only the first of a run of anchors
counts, and where the anchor may lie relative to the logged time (``search_s``). New sports are new
files, not code:

    profile = load_profile("formula1")            # or a path to any .toml with the same shape
    profile.anchor_kind("race_start")             # "lights_out"
    corrected = correct_events(events, anchors, profile, rate)

How it plugs into core/sync: the engine's roles.anchor_kind(type) is profile.anchor_kind(type) for the
football profile (tests/test_profiles.py keeps them equal), so the engine can take a profile instead of
its hard-wired football table; until it does, core.profiles.correct gives other sports a direct path
(nearest anchor of the profile's kind in the search window, clock otherwise).
"""
from core.profiles.correct import correct_events
from core.profiles.profile import EventRule, Profile, available_profiles, load_profile

__all__ = ["EventRule", "Profile", "available_profiles", "correct_events", "load_profile"]
