"""The action table: no shared shortcuts, every handler exists, remapping refuses clashes and persists."""
from __future__ import annotations

from pathlib import Path

from app.actions import ACTIONS
from app.keymap import Keymap, conflicts, defaults
from app.window import ConsoleWindow


def test_no_two_actions_share_a_shortcut() -> None:
    assert conflicts(defaults()) == {}
    assert len({a.id for a in ACTIONS}) == len(ACTIONS)


def test_conflict_check_sees_different_spellings_of_one_key() -> None:
    assert conflicts({"a": ("ctrl+z",), "b": ("Ctrl+Z",)}) == {"Ctrl+Z": ["a", "b"]}


def test_every_action_has_a_handler_on_the_window() -> None:
    for action in ACTIONS:
        assert callable(getattr(ConsoleWindow, action.handler, None)), action.handler


def test_remap_persists_and_a_clashing_saved_file_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    keymap = Keymap(path)
    assert keymap.remap("freeze", ("Ctrl+F",)) == {}
    assert Keymap(path).keys["freeze"] == ("Ctrl+F",)
    assert keymap.remap("undo", ("Ctrl+F",)) == {"Ctrl+F": ["undo", "freeze"]}
    assert keymap.keys["undo"] == ("Ctrl+Z",)
    path.write_text('{"accept": ["R"]}')  # edited by hand into a clash with reject
    assert Keymap(path).keys == defaults()
