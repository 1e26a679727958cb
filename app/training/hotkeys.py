"""The training action table: one single key per event type, and the controls; remappable like the console's."""
from __future__ import annotations

from app.actions import Action

EVENT_KEYS: dict[str, str] = {
    "kickoff": "K", "foul": "F", "offside": "O", "penalty_awarded": "P", "goal": "G", "half_time": "H",
    "full_time": "E", "free_kick": "Q", "corner": "C", "throw_in": "T", "goal_kick": "B", "shot": "S",
    "yellow_card": "Y", "red_card": "R", "substitution": "U",
}
"""Default key per event type (every type of the contract)."""

CONTROLS: tuple[Action, ...] = (
    Action("pause", "Pause / resume", ("Space",), "do_pause"),
    Action("replay", "Replay from the cursor (click the spectrogram; else 10 s back)", ("Ctrl+R",), "do_replay"),
    Action("undo", "Remove my last entry", ("Backspace",), "do_undo"),
    Action("assist", "Assist: show MatchSync's whistle and crowd detections", ("F2",), "do_assist"),
    Action("finish", "Finish and write the report", ("Ctrl+Return",), "do_finish"),
    Action("calibrate", "Reaction calibration", ("Ctrl+L",), "do_calibrate"),
    Action("progress", "My progress over sessions", ("Ctrl+P",), "do_progress"),
    Action("remap", "Remap keys", ("Ctrl+K",), "do_remap"),
)

TRAINING_ACTIONS: tuple[Action, ...] = tuple(
    Action(f"log_{t}", f"Log {t.replace('_', ' ')}", (k,), "do_log") for t, k in EVENT_KEYS.items()) + CONTROLS
"""Every training action, the event keys first."""


def event_type(action_id: str) -> str | None:
    """The event type an action logs, or None for a control."""
    return action_id[4:] if action_id.startswith("log_") else None
