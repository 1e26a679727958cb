"""Which version of each event id the intake has seen: new, a revision with changes, or a plain resend."""
from __future__ import annotations

from core.model import LoggedEvent


def _content(event: LoggedEvent) -> tuple:
    return (event.type, event.t, tuple(sorted(event.extra.items())))


class RevisionBook:
    """Numbers the versions of each event id from 1; an identical resend keeps its number."""

    def __init__(self) -> None:
        self._latest: dict[str, tuple[int, tuple]] = {}

    def record(self, event: LoggedEvent) -> tuple[int, bool]:
        """(revision, is_resend) for an incoming event, remembering it as the latest version."""
        content = _content(event)
        seen = self._latest.get(event.id)
        if seen is not None and seen[1] == content:
            return seen[0], True
        revision = 1 if seen is None else seen[0] + 1
        self._latest[event.id] = (revision, content)
        return revision, False

    def forget(self, event: LoggedEvent, revision: int) -> None:
        """Undo ``record`` when the event could not be handed on, so a resend is taken again."""
        seen = self._latest.get(event.id)
        if seen is not None and seen[0] == revision and seen[1] == _content(event):
            if revision == 1:
                del self._latest[event.id]
            else:
                self._latest[event.id] = (revision - 1, ())
