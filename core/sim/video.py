"""A simple top-down pitch video for the demo, rendered on demand in step with the simulated events.

    video = PitchVideo(match.truth, duration_s)
    rgb = video.frame(t)        # uint8 (height, width, 3): pitch, 22 players, the ball
    text = video.caption(t)     # "FOUL · home" for a few seconds after each event, else None

The ball travels between the places the events happen (centre spot for a kickoff, a corner flag for a
corner, the touchline for a throw-in, inside a goal for a goal, ...); players drift around their
formation places and lean towards the ball. Everything is a pure function of ``t``.
"""
from __future__ import annotations

import zlib

import numpy as np

from core.model import LoggedEvent

PITCH_M = (105.0, 68.0)
GRASS = ((38, 110, 58), (44, 122, 64))
LINE = (235, 240, 235)
TEAMS = {"home": (220, 60, 60), "away": (60, 130, 235)}
BALL = (255, 255, 255)
CAPTION_S = 3.0
FORMATION = ((5, 34), (20, 10), (18, 26), (18, 42), (20, 58), (35, 14), (33, 34), (35, 54), (47, 18), (50, 34),
             (47, 50))
"""Home players' places in metres (away mirrored), goalkeeper first."""


def _spot(event: LoggedEvent) -> tuple[float, float]:
    """Where on the pitch (metres) an event happens; varied per event id for the open-play ones."""
    h = zlib.crc32(event.id.encode())
    side = 1 if h & 1 else 0
    x_end = PITCH_M[0] if side else 0.0
    along = 15 + (h >> 3) % 75
    if event.type in ("kickoff", "half_time", "full_time"):
        return PITCH_M[0] / 2, PITCH_M[1] / 2
    if event.type == "corner":
        return x_end, 0.5 if h & 2 else PITCH_M[1] - 0.5
    if event.type == "throw_in":
        return float(along), 0.5 if h & 2 else PITCH_M[1] - 0.5
    if event.type == "goal":
        return (PITCH_M[0] + 1.0 if side else -1.0), PITCH_M[1] / 2 + ((h >> 5) % 6 - 3)
    if event.type == "goal_kick":
        return (PITCH_M[0] - 5.5 if side else 5.5), PITCH_M[1] / 2 - 9
    if event.type == "penalty_awarded":
        return (PITCH_M[0] - 11 if side else 11.0), PITCH_M[1] / 2
    if event.type == "shot":
        return (PITCH_M[0] - 18 if side else 18.0), 20 + (h >> 7) % 28
    return float(along), 8 + (h >> 9) % 52


class PitchVideo:
    """Frames of the demo match at any media time ``t`` (seconds)."""

    def __init__(self, truth: tuple[LoggedEvent, ...], duration_s: float, width: int = 640, height: int = 420) -> None:
        self.truth = tuple(sorted(truth, key=lambda e: e.t))
        self.duration_s = duration_s
        self.width, self.height = width, height
        self.margin = 24
        self.scale = min((width - 2 * self.margin) / PITCH_M[0], (height - 2 * self.margin) / PITCH_M[1])
        self._times = np.array([e.t for e in self.truth] or [0.0])
        self._spots = np.array([_spot(e) for e in self.truth] or [(PITCH_M[0] / 2, PITCH_M[1] / 2)])
        self._background = self._draw_pitch()
        rng = np.random.default_rng(len(self.truth))
        self._phase = rng.uniform(0, 2 * np.pi, (22, 2, 3))
        self._freq = rng.uniform(0.02, 0.12, (22, 2, 3))

    def _px(self, x: float, y: float) -> tuple[float, float]:
        ox = (self.width - PITCH_M[0] * self.scale) / 2
        oy = (self.height - PITCH_M[1] * self.scale) / 2
        return ox + x * self.scale, oy + y * self.scale

    def _draw_pitch(self) -> np.ndarray:
        img = np.empty((self.height, self.width, 3), np.uint8)
        stripe = (np.arange(self.width) // max(1, int(self.width / 12))) % 2
        img[:] = np.array(GRASS, np.uint8)[stripe][None, :, :]
        yy, xx = np.mgrid[0:self.height, 0:self.width]
        lines = np.zeros((self.height, self.width), bool)
        w = 1.2

        def rect(x0: float, y0: float, x1: float, y1: float) -> None:
            (a, b), (c, d) = self._px(x0, y0), self._px(x1, y1)
            inside = (xx >= a - w) & (xx <= c + w) & (yy >= b - w) & (yy <= d + w)
            inner = (xx > a + w) & (xx < c - w) & (yy > b + w) & (yy < d - w)
            lines[inside & ~inner] = True

        def circle(x: float, y: float, r_m: float) -> None:
            cx, cy = self._px(x, y)
            dist = np.hypot(xx - cx, yy - cy)
            lines[np.abs(dist - r_m * self.scale) <= w] = True

        L, H = PITCH_M
        rect(0, 0, L, H)
        rect(L / 2, 0, L / 2, H)
        circle(L / 2, H / 2, 9.15)
        circle(L / 2, H / 2, 0.3)
        for x0, x1 in ((0, 16.5), (L - 16.5, L)):
            rect(x0, H / 2 - 20.16, x1, H / 2 + 20.16)
        for x0, x1 in ((0, 5.5), (L - 5.5, L)):
            rect(x0, H / 2 - 9.16, x1, H / 2 + 9.16)
        for x0, x1 in ((-2.0, 0.0), (L, L + 2.0)):
            rect(x0, H / 2 - 3.66, x1, H / 2 + 3.66)
        img[lines] = LINE
        return img

    def ball(self, t: float) -> tuple[float, float]:
        """Ball position in metres: at each event's spot at its time, gliding (with a wobble) in between."""
        x = float(np.interp(t, self._times, self._spots[:, 0]))
        y = float(np.interp(t, self._times, self._spots[:, 1]))
        settle = np.min(np.abs(self._times - t))
        wobble = min(1.0, settle / 4.0)
        return (x + wobble * 6 * np.sin(0.7 * t) * np.cos(0.23 * t), y + wobble * 5 * np.sin(0.53 * t + 1.0))

    def players(self, t: float) -> np.ndarray:
        """(22, 2) positions in metres: home then away."""
        home = np.array(FORMATION, float)
        away = np.column_stack((PITCH_M[0] - home[:, 0], PITCH_M[1] - home[:, 1]))
        base = np.vstack((home, away))
        drift = (np.sin(2 * np.pi * self._freq * t + self._phase) * np.array([4.0, 2.0, 1.0])).sum(axis=2)
        bx, by = self.ball(t)
        pull = np.array([[0.0], *[[0.35]] * 10, [0.0], *[[0.35]] * 10])
        pos = base + drift + pull * (np.array([bx, by]) - base)
        return np.clip(pos, (-1.0, -1.0), (PITCH_M[0] + 1, PITCH_M[1] + 1))

    def frame(self, t: float) -> np.ndarray:
        """The pitch at media time ``t``."""
        img = self._background.copy()
        for i, (x, y) in enumerate(self.players(t)):
            self._disc(img, *self._px(x, y), 6.0, TEAMS["home" if i < 11 else "away"], outline=(20, 20, 20))
        self._disc(img, *self._px(*self.ball(t)), 3.6, BALL, outline=(0, 0, 0))
        return img

    def caption(self, t: float) -> str | None:
        """The event that just happened (for ``CAPTION_S`` seconds after it), e.g. "FOUL · home"."""
        i = int(np.searchsorted(self._times, t, side="right")) - 1
        if i < 0 or not self.truth or t - self.truth[i].t > CAPTION_S:
            return None
        event = self.truth[i]
        team = event.extra.get("team")
        return event.type.replace("_", " ").upper() + (f" · {team}" if team else "")

    def _disc(self, img: np.ndarray, cx: float, cy: float, r: float, colour: tuple, outline: tuple) -> None:
        x0, x1 = max(0, int(cx - r - 1)), min(self.width, int(cx + r + 2))
        y0, y1 = max(0, int(cy - r - 1)), min(self.height, int(cy + r + 2))
        if x0 >= x1 or y0 >= y1:
            return
        yy, xx = np.mgrid[y0:y1, x0:x1]
        d = np.hypot(xx - cx, yy - cy)
        patch = img[y0:y1, x0:x1]
        patch[d <= r + 0.5] = outline
        patch[d <= r - 1.0] = colour
