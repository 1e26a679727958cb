"""Validation of intake messages: the hello that names a logger, and the contract's logged event."""
from __future__ import annotations

import json
import math
from datetime import datetime

from core.model import EVENT_TYPES, LoggedEvent

MAX_ID_CHARS = 64
MAX_TEXT_CHARS = 256
OPTIONAL_TEXT = ("team", "player", "logger", "note")
EVENT_FIELDS = frozenset(("id", "type", "t", "wall") + OPTIONAL_TEXT)


class MessageError(Exception):
    """A message that cannot be accepted; ``field`` names the offending field when there is one."""

    def __init__(self, problem: str, field: str | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.field = field

    def reply(self) -> dict:
        """The error object sent back to the logger (``field`` is null when no field is to blame)."""
        return {"error": self.problem, "field": self.field}


def decode_object(raw: bytes | str, max_bytes: int) -> dict:
    """One JSON object from a message of at most ``max_bytes`` UTF-8 bytes."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    if len(raw) > max_bytes:
        raise MessageError(f"message too large: {len(raw)} bytes, limit {max_bytes}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MessageError(f"not UTF-8: invalid byte at offset {exc.start}") from None
    try:
        obj = json.loads(text)
    except ValueError as exc:
        raise MessageError(f"malformed JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise MessageError(f"expected a JSON object, got {type(obj).__name__}")
    return obj


def parse_hello(obj: dict) -> tuple[str, str]:
    """(logger name, token) from ``{"hello": NAME, "token": T}``."""
    name = obj.get("hello")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_ID_CHARS:
        raise MessageError("first message must be {\"hello\": NAME, \"token\": TOKEN}", "hello")
    token = obj.get("token")
    if not isinstance(token, str):
        raise MessageError("missing token", "token")
    return name.strip(), token


def _text(obj: dict, key: str, limit: int) -> str:
    value = obj[key]
    if not isinstance(value, str):
        raise MessageError(f"{key} must be a string, got {type(value).__name__}", key)
    if not value or len(value) > limit:
        raise MessageError(f"{key} must have 1 to {limit} characters", key)
    return value


def parse_event(obj: dict) -> LoggedEvent:
    """The contract's logged event (id, type, t; optional team, player, logger, wall, note)."""
    for key in ("id", "type", "t"):
        if key not in obj:
            raise MessageError(f"missing field {key}", key)
    unknown = sorted(set(obj) - EVENT_FIELDS)
    if unknown:
        raise MessageError(f"unknown field {unknown[0]}", unknown[0])
    event_id = _text(obj, "id", MAX_ID_CHARS)
    kind = _text(obj, "type", MAX_ID_CHARS)
    if kind not in EVENT_TYPES:
        raise MessageError(f"unknown event type {kind!r}", "type")
    t = obj["t"]
    if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t):
        raise MessageError("t must be a finite number of seconds", "t")
    extra = {key: _text(obj, key, MAX_TEXT_CHARS) for key in OPTIONAL_TEXT if key in obj}
    if "wall" in obj:
        wall = _text(obj, "wall", MAX_ID_CHARS)
        try:
            datetime.fromisoformat(wall)
        except ValueError:
            raise MessageError("wall must be an ISO 8601 time", "wall") from None
        extra["wall"] = wall
    return LoggedEvent(id=event_id, type=kind, t=float(t), extra=extra)
