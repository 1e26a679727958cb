"""Sport anchor profiles: bundled data files, football equal to the sync engine's table, new sports as data."""
from __future__ import annotations

import pytest

from core.errors import InputError
from core.model import EVENT_TYPES, Anchor, LoggedEvent
from core.profiles import available_profiles, correct_events, load_profile
from core.sync import roles


def test_bundled_profiles_load():
    assert set(available_profiles()) >= {"football", "formula1", "basketball", "ice_hockey"}
    for name in available_profiles():
        profile = load_profile(name)
        assert profile.name == name and profile.event_types
        for etype in profile.event_types:
            kind = profile.anchor_kind(etype)
            assert kind is None or kind in profile.anchor_kinds


def test_football_profile_is_the_sync_engines_table():
    football = load_profile("football")
    assert set(football.event_types) == set(EVENT_TYPES)
    for etype in EVENT_TYPES:
        assert football.anchor_kind(etype) == roles.anchor_kind(etype), etype
        assert football.events[etype].first_of_run == (etype in roles.PATTERN_TYPES), etype


def test_other_sports_define_their_own_event_types():
    assert load_profile("formula1").anchor_kind("race_start") == "lights_out"
    assert load_profile("basketball").anchor_kind("end_of_period") == "buzzer"
    assert load_profile("ice_hockey").anchor_kind("end_of_period") == "horn"
    assert "race_start" not in EVENT_TYPES
    assert load_profile("formula1").anchor_kind("foul") is None


def test_a_new_sport_is_a_data_file(tmp_path):
    path = tmp_path / "rowing.toml"
    path.write_text('name = "rowing"\ndetectors = ["horn"]\n[events]\nrace_start = { anchor = "horn", '
                    'search_s = [-5.0, 0.5] }\nfinish = {}\n')
    profile = load_profile(str(path))
    rate = 16_000
    anchors = [Anchor("horn", 100 * rate, 101 * rate, 0.9), Anchor("horn", 300 * rate, 301 * rate, 0.95)]
    rows = correct_events([LoggedEvent("r1", "race_start", 103.0), LoggedEvent("r2", "finish", 400.0),
                           LoggedEvent("r3", "capsize", 500.0)], anchors, profile, rate)
    assert rows[0]["t"] == 100.0 and rows[0]["basis"] == "horn" and rows[0]["confidence"] == 0.9
    assert rows[1]["basis"] == "clock" and rows[1]["t"] == 400.0
    assert rows[2]["basis"] == "none"
    # the logger's clock offset moves the search window
    shifted = correct_events([LoggedEvent("r1", "race_start", 303.0 - 200.0)], anchors, profile, rate,
                             clock_offset_s=200.0)
    assert shifted[0]["anchor_t"] == 300.0


@pytest.mark.parametrize("text, problem", [
    ('detectors = []\n[events]\na = {}\n', "missing string 'name'"),
    ('name = "x"\ndetectors = ["sonar"]\n[events]\na = {}\n', "'detectors' must list"),
    ('name = "x"\ndetectors = ["horn"]\n[events]\na = { anchor = "whistle" }\n', "made by none"),
    ('name = "x"\ndetectors = ["horn"]\n[events]\na = { anchor = "horn", search_s = [2, 1] }\n', "search_s"),
    ('name = "x"\n[events\n', "not a valid TOML"),
])
def test_bad_profiles_name_the_file_and_problem(tmp_path, text, problem):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(InputError, match=problem) as err:
        load_profile(str(path))
    assert err.value.where == str(path)


def test_unknown_profile_name():
    with pytest.raises(InputError, match="no such profile"):
        load_profile("quidditch")
