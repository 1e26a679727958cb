"""The one table of operator actions: it builds every QAction, the help overlay and the remapping dialog."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Action:
    """An operator action: ``handler`` names the console window method it calls."""

    id: str
    label: str
    keys: tuple[str, ...]
    handler: str


ACTIONS: tuple[Action, ...] = (
    Action("accept", "Accept the proposal", ("Return",), "do_accept"),
    Action("accept_next", "Accept and go to the next pending event", ("Space",), "do_accept_next"),
    Action("reject", "Reject: keep the logged time", ("R",), "do_reject"),
    Action("nudge_back_frame", "Nudge one video frame earlier", ("Left",), "do_nudge_back_frame"),
    Action("nudge_fwd_frame", "Nudge one video frame later", ("Right",), "do_nudge_fwd_frame"),
    Action("nudge_back_second", "Nudge one second earlier", ("Shift+Left",), "do_nudge_back_second"),
    Action("nudge_fwd_second", "Nudge one second later", ("Shift+Right",), "do_nudge_fwd_second"),
    Action("next_alternative", "Take the next alternative", ("Tab",), "do_next_alternative"),
    Action("set_to_cursor", "Set to the cursor (or the playhead)", ("C",), "do_set_to_cursor"),
    Action("cancel_event", "Cancel the event", ("Delete",), "do_cancel_event"),
    Action("undo", "Undo the last decision", ("Ctrl+Z",), "do_undo"),
    Action("next_pending", "Next pending event", ("Down",), "do_next_pending"),
    Action("previous_pending", "Previous pending event", ("Up",), "do_previous_pending"),
    Action("freeze", "Freeze scrolling (live continues)", ("F",), "do_freeze"),
    Action("back_to_live", "Back to live", ("L",), "do_back_to_live"),
    Action("help", "Show or hide this help", ("F1", "?"), "do_help"),
    Action("settings", "Settings", ("Ctrl+,",), "do_settings"),
    Action("remap", "Remap keys", ("Ctrl+K",), "do_remap"),
    Action("export", "Export the session (JSONL and CSV beside its file)", ("Ctrl+E",), "do_export"),
)
"""Every action the operator has, in the order the help overlay lists them."""
