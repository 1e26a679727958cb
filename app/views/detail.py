"""The detail panel: the selected event's proposal, its ranked alternatives and why."""
from __future__ import annotations

from collections.abc import Callable
from html import escape

from PySide6.QtWidgets import QTextBrowser

from app.theme import STATUS_COLOURS
from core.session.book import EventRow


class DetailPanel(QTextBrowser):
    """Read-only; rebuilt when the selection or the selected event changes."""

    def __init__(self, rate: int, timecode: Callable[[int], str]) -> None:
        super().__init__()
        self.rate = rate
        self.timecode = timecode
        self._shown: tuple | None = None

    def show_row(self, row: EventRow | None) -> None:
        """Describe ``row`` (or say nothing is selected)."""
        key = None if row is None else (row.event.id, row.status, row.n, row.proposal)
        if key == self._shown:
            return
        self._shown = key
        if row is None:
            self.setHtml("<p style='color:#7d8a96'>No event selected.</p>")
            return
        e, p = row.event, row.proposal
        colour = STATUS_COLOURS[row.status]
        html = [f"<h3>{escape(e.type)} <span style='color:#7d8a96'>{escape(e.id)}</span> "
                f"<span style='color:{colour}'>{row.status}</span></h3>",
                f"<p>logged at {e.t:.2f} s (logger clock)"]
        if row.working_n is not None:
            html.append(f"<br>now at {self.timecode(row.working_n)} ({row.working_n / self.rate:.3f} s)")
        html.append("</p>")
        if p is None:
            html.append("<p style='color:#7d8a96'>Waiting for a proposal…</p>")
        else:
            risk = " <b style='color:#ff9f1c'>early side uncertain</b>" if p.detail.get("early_risk") else ""
            html.append(f"<p><b>{escape(p.basis)}</b>, confidence {p.confidence:.2f}, revision {p.revision}"
                        f"{risk}<br>{escape(p.detail.get('why', ''))}</p><ol>")
            for alt in p.detail.get("alternatives", []):
                t = "" if alt.get("n") is None else f"{alt['n'] / self.rate:.3f} s"
                html.append(f"<li>{t} <b>{escape(alt.get('basis', ''))}</b> "
                            f"p={alt.get('score', 0):.2f}: {escape(alt.get('why', ''))}</li>")
            html.append("</ol>")
        self.setHtml("".join(html))
