"""The console's policies and display settings, persisted as JSON in the user's config folder."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from core.settings_schema import load_versioned, save_versioned

FRAME_RATE_CHOICES = ("25", "29.97", "50", "59.94")


@dataclass(frozen=True, slots=True)
class ConsoleSettings:
    """``auto_accept`` (a confidence) and ``deadline_s`` are off when None."""

    auto_accept: float | None = None
    deadline_s: float | None = 60.0
    fps: str = "25"
    fft_size: int = 512
    db_floor: float = -80.0
    db_ceiling: float = -20.0
    window_s: float = 30.0

    def validated(self) -> ConsoleSettings:
        """The same settings with out-of-range values put back to their defaults."""
        d = ConsoleSettings()
        return replace(
            self,
            auto_accept=self.auto_accept if self.auto_accept is None or 0 <= self.auto_accept <= 1 else None,
            deadline_s=self.deadline_s if self.deadline_s is None or self.deadline_s > 0 else d.deadline_s,
            fps=self.fps if self.fps in FRAME_RATE_CHOICES else d.fps,
            fft_size=self.fft_size if self.fft_size in (256, 512, 1024, 2048) else d.fft_size,
            db_ceiling=self.db_ceiling if self.db_ceiling > self.db_floor else d.db_ceiling,
            db_floor=self.db_floor if self.db_ceiling > self.db_floor else d.db_floor,
            window_s=self.window_s if 2 <= self.window_s <= 300 else d.window_s)


def load_settings(path: Path) -> ConsoleSettings:
    """Saved settings (migrated from older schemas), or the defaults where nothing (or nothing valid) was
    saved; InputError for a file written by a newer MatchSync."""
    saved = load_versioned(path).get("console")
    if not isinstance(saved, dict):
        return ConsoleSettings()
    known = {f.name for f in fields(ConsoleSettings)}
    try:
        return ConsoleSettings(**{k: v for k, v in saved.items() if k in known}).validated()
    except (TypeError, AttributeError):
        return ConsoleSettings()


def save_settings(path: Path, settings: ConsoleSettings) -> None:
    """Persist the settings (current schema, atomic replace)."""
    save_versioned(path, {"console": asdict(settings)})
