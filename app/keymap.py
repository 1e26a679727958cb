"""Shortcuts per action: the table's defaults, overridden by the operator's saved remapping."""
from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtGui import QKeySequence

from app.actions import ACTIONS, Action


def normalise(key: str) -> str:
    """One spelling per key (so "ctrl+z" and "Ctrl+Z" compare equal)."""
    return QKeySequence(key).toString(QKeySequence.SequenceFormat.PortableText)


def defaults(actions: tuple[Action, ...] = ACTIONS) -> dict[str, tuple[str, ...]]:
    """An action table's shortcuts (the console's by default)."""
    return {a.id: tuple(normalise(k) for k in a.keys) for a in actions}


def conflicts(mapping: dict[str, tuple[str, ...]]) -> dict[str, list[str]]:
    """Keys bound to more than one action: key -> the action ids sharing it."""
    owners: dict[str, list[str]] = {}
    for action_id, keys in mapping.items():
        for key in keys:
            owners.setdefault(normalise(key), []).append(action_id)
    return {key: ids for key, ids in owners.items() if len(ids) > 1}


class Keymap:
    """The shortcuts in force for an action table, persisted as JSON (``keys.json`` in the user's config
    folder for the console's table)."""

    def __init__(self, path: Path, actions: tuple[Action, ...] = ACTIONS) -> None:
        self.path = path
        self.actions = actions
        self.keys = defaults(actions)
        try:
            saved = json.loads(path.read_text())
        except (OSError, ValueError):
            saved = {}
        if isinstance(saved, dict):
            merged = dict(self.keys)
            for action_id, keys in saved.items():
                if action_id in merged and isinstance(keys, list):
                    merged[action_id] = tuple(normalise(str(k)) for k in keys)
            if not conflicts(merged):
                self.keys = merged

    def remap(self, action_id: str, keys: tuple[str, ...]) -> dict[str, list[str]]:
        """Bind ``keys`` to an action and save; refuse (returning the clashes) if a key is taken."""
        proposed = dict(self.keys)
        proposed[action_id] = tuple(normalise(k) for k in keys if normalise(k))
        clashes = conflicts(proposed)
        if clashes:
            return clashes
        self.keys = proposed
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps({k: list(v) for k, v in self.keys.items()}, indent=1))
        return {}
