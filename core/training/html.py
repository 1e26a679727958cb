"""The session report as one self-contained HTML file: tables and inline SVG plots, no external assets."""
from __future__ import annotations

from html import escape

import numpy as np

from core.training.scoring import TIGHT_S, WINDOW_S

COLOURS = {"hit": "#1f9d6b", "late": "#e0a526", "miss": "#d64545", "extra": "#7a8793", "wrong_type": "#8e5bd6",
           "matchsync": "#2f7fd8"}
CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 0; background: #f4f6f8; color: #1d2630; }
header { background: #0f1317; color: #e8eef3; padding: 18px 32px; }
header h1 { margin: 0; font-size: 22px; font-weight: 600; } header p { margin: 4px 0 0; color: #9aa8b5; }
main { padding: 18px 32px 32px; max-width: 1180px; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; margin-bottom: 18px; }
.card { background: white; border-radius: 6px; padding: 10px 16px; min-width: 120px; box-shadow: 0 1px 2px #0002; }
.card b { display: block; font-size: 22px; } .card span { color: #66737f; font-size: 12px; }
section { background: white; border-radius: 6px; padding: 12px 18px; margin-bottom: 16px; box-shadow: 0 1px 2px #0002; }
h2 { font-size: 15px; margin: 4px 0 10px; color: #33414e; text-transform: uppercase; letter-spacing: .5px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { padding: 4px 8px; text-align: right; border-bottom: 1px solid #e6eaee; }
th:first-child, td:first-child { text-align: left; } th { color: #66737f; font-weight: 600; }
th.ms, td.ms { background: #eef5fd; } .grid { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
.legend span { display: inline-block; margin-right: 14px; font-size: 12px; color: #4a5866; }
.legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; border-radius: 2px; }
"""


def _fmt_ms(v: float | None) -> str:
    return "–" if v is None else f"{v * 1000:+.0f} ms"


def _card(value: str, label: str) -> str:
    return f'<div class="card"><b>{escape(value)}</b><span>{escape(label)}</span></div>'


def _type_table(report: dict) -> str:
    ms = report["matchsync"]
    head = ("<tr><th>event type</th><th>reference</th><th>hits ≤500 ms</th><th>hits ≤1000 ms</th><th>misses</th>"
            "<th>extra</th><th>wrong type</th><th>median lateness</th><th>spread (IQR)</th><th>F1</th>"
            + ('<th class="ms">MatchSync median error</th><th class="ms">MatchSync F1</th>' if ms else "")
            + "</tr>")
    rows = []
    for name, s in [*report["trainee"]["by_type"].items(), ("all types", report["trainee"]["overall"])]:
        m = (ms["overall"] if name == "all types" else ms["by_type"].get(name)) if ms else None
        cells = [name.replace("_", " "), s["truth"], s["hits_500ms"], s["hits_1000ms"], s["misses"], s["extra"],
                 s["wrong_type"], _fmt_ms(s["median_lateness_s"]), _fmt_ms(s["spread_iqr_s"]).lstrip("+"),
                 f'{s["f1"]:.2f}']
        style = ' style="font-weight:600"' if name == "all types" else ""
        extra = (f'<td class="ms">{_fmt_ms(m["median_lateness_s"])}</td><td class="ms">{m["f1"]:.2f}</td>'
                 if m else ('<td class="ms">–</td><td class="ms">–</td>' if ms else ""))
        rows.append(f"<tr{style}>" + "".join(f"<td>{escape(str(c))}</td>" for c in cells) + extra + "</tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def histogram_svg(errors: list[float], ms_errors: list[float] | None, width: int = 540, height: int = 230) -> str:
    """Bars of the trainee's timing errors (100 ms bins over ±1 s); MatchSync's as an outline."""
    edges = np.round(np.arange(-WINDOW_S, WINDOW_S + 1e-9, 0.1), 3)
    counts = np.histogram(np.clip(errors, -WINDOW_S, WINDOW_S), edges)[0] if errors else np.zeros(len(edges) - 1)
    ms_counts = np.histogram(np.clip(ms_errors, -WINDOW_S, WINDOW_S), edges)[0] if ms_errors else None
    top = max(1, int(counts.max()), int(ms_counts.max()) if ms_counts is not None else 0)
    left, bottom, right, top_pad = 40, 34, 20, 10
    pw, ph = width - left - right, height - bottom - top_pad
    bw = pw / len(counts)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-size="11" '
             f'font-family="DejaVu Sans, Arial">']
    for k in range(top + 1):
        if top <= 6 or k % max(1, top // 5) == 0:
            y = top_pad + ph - k / top * ph
            parts.append(f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e6eaee"/>'
                         f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#66737f">{k}</text>')
    for i, c in enumerate(counts):
        x = left + i * bw
        h = c / top * ph
        colour = COLOURS["hit"] if abs(edges[i] + 0.05) <= TIGHT_S else COLOURS["late"]
        parts.append(f'<rect x="{x + 1:.1f}" y="{top_pad + ph - h:.1f}" width="{bw - 2:.1f}" height="{h:.1f}" '
                     f'fill="{colour}"><title>{edges[i]:+.1f}…{edges[i + 1]:+.1f} s: {c}</title></rect>')
    if ms_counts is not None:
        pts = " ".join(f"{left + (i + f) * bw:.1f},{top_pad + ph - c / top * ph:.1f}"
                       for i, c in enumerate(ms_counts) for f in (0, 1))
        parts.append(f'<polyline points="{pts}" fill="none" stroke="{COLOURS["matchsync"]}" stroke-width="2"/>')
    for v in np.arange(-1.0, 1.01, 0.5):
        x = left + (v + WINDOW_S) / (2 * WINDOW_S) * pw
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top_pad + ph}" y2="{top_pad + ph + 4}" stroke="#66737f"/>'
                     f'<text x="{x:.1f}" y="{top_pad + ph + 16}" text-anchor="middle" fill="#66737f">{v:+.1f}</text>')
    parts.append(f'<text x="{left + pw / 2}" y="{height - 3}" text-anchor="middle" fill="#33414e">'
                 "entry minus reference (s): early ← → late</text></svg>")
    return "".join(parts)


def timeline_svg(items: list[dict], duration_s: float, width: int = 1100, height: int = 200) -> str:
    """Where in the match each hit (height = timing error), wrong type, miss and extra entry happened."""
    left, right, top_pad, bottom = 46, 24, 14, 30
    pw, ph = width - left - right, height - top_pad - bottom
    span = max(duration_s, 1.0)

    def x(t: float) -> float:
        return left + t / span * pw

    def y(err: float) -> float:
        return top_pad + ph / 2 - max(-1.2, min(1.2, err)) / 1.2 * (ph / 2 - 8)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-size="11" '
             f'font-family="DejaVu Sans, Arial">',
             f'<rect x="{left}" y="{top_pad}" width="{pw}" height="{ph}" fill="#fafbfc" stroke="#e6eaee"/>']
    for err in (-1.0, -0.5, 0.0, 0.5, 1.0):
        parts.append(f'<line x1="{left}" x2="{left + pw}" y1="{y(err):.1f}" y2="{y(err):.1f}" '
                     f'stroke="{"#9aa8b5" if err == 0 else "#eef1f4"}"/>'
                     f'<text x="{left - 6}" y="{y(err) + 4:.1f}" text-anchor="end" fill="#66737f">{err:+.1f}</text>')
    step = next(s for s in (10, 30, 60, 300, 600, 900, 1e9) if span / s <= 12)
    for t in np.arange(0, span + 1e-9, step):
        parts.append(f'<text x="{x(t):.1f}" y="{height - 12}" text-anchor="middle" fill="#66737f">'
                     f'{int(t // 60)}:{int(t % 60):02d}</text>')
    for it in items:
        kind, t = it["kind"], it.get("truth_t", it.get("entry_t"))
        label = escape(f'{it["kind"].replace("_", " ")}: {it["type"]}'
                       + (f' logged as {it["entry_type"]}' if "entry_type" in it else "")
                       + (f' ({it["error_s"] * 1000:+.0f} ms)' if "error_s" in it else "") + f" at {t:.2f} s")
        if kind in ("hit", "wrong_type"):
            colour = COLOURS["wrong_type"] if kind == "wrong_type" else (
                COLOURS["hit"] if abs(it["error_s"]) <= TIGHT_S else COLOURS["late"])
            parts.append(f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{y(0):.1f}" y2="{y(it["error_s"]):.1f}" '
                         f'stroke="{colour}" stroke-width="1.5"/><circle cx="{x(t):.1f}" cy="{y(it["error_s"]):.1f}" '
                         f'r="4.5" fill="{colour}"><title>{label}</title></circle>')
        elif kind == "miss":
            cx, cy = x(t), top_pad + ph - 6
            parts.append(f'<path d="M{cx - 5:.1f},{cy - 5:.1f}L{cx + 5:.1f},{cy + 5:.1f}M{cx - 5:.1f},{cy + 5:.1f}'
                         f'L{cx + 5:.1f},{cy - 5:.1f}" stroke="{COLOURS["miss"]}" stroke-width="2.5">'
                         f'<title>{label}</title></path>')
        else:
            cx, cy = x(t), top_pad + 7
            parts.append(f'<path d="M{cx - 5:.1f},{cy - 4:.1f}L{cx + 5:.1f},{cy - 4:.1f}L{cx:.1f},{cy + 5:.1f}Z" '
                         f'fill="{COLOURS["extra"]}"><title>{label}</title></path>')
    parts.append(f'<text x="12" y="{top_pad + ph / 2}" fill="#33414e" transform="rotate(-90 12 {top_pad + ph / 2})" '
                 'text-anchor="middle">error (s)</text></svg>')
    return "".join(parts)


def _errors(score: dict) -> list[float]:
    return [i["error_s"] for i in score["items"] if i["kind"] == "hit"]


def render_html(report: dict) -> str:
    """The whole report page."""
    s = report["trainee"]["overall"]
    ms = report["matchsync"]
    cards = [_card(f'{s["f1"]:.2f}', "F1 (hits within 1 s)"),
             _card(f'{s["hits_500ms"]}/{s["truth"]}', "hits ≤ 500 ms"),
             _card(f'{s["hits_1000ms"]}/{s["truth"]}', "hits ≤ 1000 ms"), _card(str(s["misses"]), "misses"),
             _card(str(s["extra"]), "extra entries"), _card(str(s["wrong_type"]), "wrong type"),
             _card(_fmt_ms(s["median_lateness_s"]), f'median lateness (IQR {_fmt_ms(s["spread_iqr_s"]).lstrip("+")})')]
    if ms:
        cards.append(_card(f'{ms["overall"]["f1"]:.2f}', "MatchSync-corrected F1"))
    applied = report["lateness_applied_s"]
    subtitle = (f'{escape(report["match"])} · {len(report["entries"])} entries · finished {report["finished_at"]}'
                + (f" · personal lateness {applied * 1000:.0f} ms taken off each entry" if applied else ""))
    legend = "".join(f'<span><i style="background:{c}"></i>{escape(n)}</span>' for n, c in (
        ("hit ≤ 500 ms", COLOURS["hit"]), ("hit 500-1000 ms", COLOURS["late"]), ("wrong type", COLOURS["wrong_type"]),
        ("miss", COLOURS["miss"]), ("extra", COLOURS["extra"])) + ((("MatchSync-corrected", COLOURS["matchsync"]),)
                                                                  if ms else ()))
    hist = histogram_svg(_errors(report["trainee"]), _errors(ms) if ms else None)
    ms_note = ("<p>MatchSync's corrected times for this log, scored the same way: the blue outline in the "
               "histogram and the shaded columns of the table.</p>" if ms else
               "<p>MatchSync's corrected times were not available for this session.</p>")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Training report: {escape(report["trainee_name"])}</title>
<style>{CSS}</style></head><body>
<header><h1>Logger training report · {escape(report["trainee_name"])}</h1><p>{subtitle}</p></header>
<main><div class="cards">{''.join(cards)}</div>
<section><h2>Per event type</h2>{_type_table(report)}</section>
<div class="grid"><section><h2>Timing errors</h2>{hist}<div class="legend">{legend}</div></section>
<section><h2>Trainee beside MatchSync</h2>{ms_note}{_comparison(report)}</section></div>
<section><h2>Where the errors happened</h2>{timeline_svg(report["trainee"]["items"], report["duration_s"])}</section>
</main></body></html>
"""


def _comparison(report: dict) -> str:
    ms = report["matchsync"]
    if not ms:
        return ""
    rows = [("F1", f'{report["trainee"]["overall"]["f1"]:.2f}', f'{ms["overall"]["f1"]:.2f}')]
    for key, label in (("hits_500ms", "hits ≤ 500 ms"), ("hits_1000ms", "hits ≤ 1000 ms"), ("misses", "misses"),
                       ("extra", "extra")):
        rows.append((label, str(report["trainee"]["overall"][key]), str(ms["overall"][key])))
    rows.append(("median error", _fmt_ms(report["trainee"]["overall"]["median_lateness_s"]),
                 _fmt_ms(ms["overall"]["median_lateness_s"])))
    return ('<table><tr><th></th><th>trainee</th><th class="ms">MatchSync-corrected</th></tr>'
            + "".join(f'<tr><td>{escape(a)}</td><td>{escape(b)}</td><td class="ms">{escape(c)}</td></tr>'
                      for a, b, c in rows) + "</table>")
