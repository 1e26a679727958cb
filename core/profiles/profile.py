"""Loading and checking a sport's anchor profile (TOML)."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from core.errors import InputError

PROFILE_DIR = Path(__file__).resolve().parents[2] / "resources" / "profiles"
DETECTORS: dict[str, tuple[str, ...]] = {
    "whistle": ("whistle",), "crowd_surge": ("crowd_surge",), "start_lights": ("lights_out", "start_beeps"),
    "buzzer": ("buzzer",), "horn": ("horn",),
}
"""Detector names a profile may list, with the anchor kinds each produces."""
DEFAULT_SEARCH_S = (-10.0, 1.0)
"""Where an anchor may lie relative to the logged time when a rule does not say (loggers are late)."""


@dataclass(frozen=True, slots=True)
class EventRule:
    """How one event type is placed: on an anchor kind (None: the clock only)."""

    anchor: str | None
    first_of_run: bool = False
    search_s: tuple[float, float] = DEFAULT_SEARCH_S


@dataclass(frozen=True, slots=True)
class Profile:
    """A sport: its detectors and one rule per event type it knows."""

    name: str
    title: str
    detectors: tuple[str, ...]
    events: dict[str, EventRule]

    @property
    def event_types(self) -> tuple[str, ...]:
        """Every event type a logger may use in this sport."""
        return tuple(self.events)

    @property
    def anchor_kinds(self) -> tuple[str, ...]:
        """Anchor kinds the profile's detectors produce."""
        return tuple(kind for d in self.detectors for kind in DETECTORS[d])

    def anchor_kind(self, event_type: str) -> str | None:
        """The anchor kind events of this type are placed on, or None (clock only or unknown type)."""
        rule = self.events.get(event_type)
        return None if rule is None else rule.anchor


def available_profiles() -> tuple[str, ...]:
    """Names of the bundled profiles."""
    return tuple(sorted(p.stem for p in PROFILE_DIR.glob("*.toml")))


def load_profile(name_or_path: str) -> Profile:
    """A bundled profile by name, or a profile file by path; InputError naming the problem otherwise."""
    path = Path(name_or_path)
    if path.suffix != ".toml":
        path = PROFILE_DIR / f"{name_or_path}.toml"
        if not path.is_file():
            raise InputError(name_or_path, f"no such profile (bundled: {', '.join(available_profiles())})")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(str(path), "file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"not a valid TOML profile ({exc})") from None
    return _parse(str(path), data)


def _parse(where: str, data: dict) -> Profile:
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise InputError(where, "missing string 'name'")
    detectors = data.get("detectors", [])
    if not isinstance(detectors, list) or not all(d in DETECTORS for d in detectors):
        raise InputError(where, f"'detectors' must list some of {', '.join(DETECTORS)}")
    kinds = {kind for d in detectors for kind in DETECTORS[d]}
    events = data.get("events")
    if not isinstance(events, dict) or not events:
        raise InputError(where, "missing [events] table")
    rules = {}
    for etype, spec in events.items():
        if not isinstance(spec, dict):
            raise InputError(where, f"event {etype!r}: expected a table")
        anchor = spec.get("anchor")
        if anchor is not None and anchor not in kinds:
            raise InputError(where, f"event {etype!r}: anchor {anchor!r} is made by none of the profile's detectors")
        search = spec.get("search_s", list(DEFAULT_SEARCH_S))
        if (not isinstance(search, list) or len(search) != 2 or not all(isinstance(x, (int, float)) for x in search)
                or search[0] >= search[1]):
            raise InputError(where, f"event {etype!r}: search_s must be [earliest, latest] seconds")
        rules[etype] = EventRule(anchor, bool(spec.get("first_of_run", False)), (float(search[0]), float(search[1])))
    return Profile(name, str(data.get("title", name)), tuple(detectors), rules)
