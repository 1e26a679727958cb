"""The console's look: a dark control-room theme with one colour per event status."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

BACKGROUND = "#0f1317"
PANEL = "#171c22"
TEXT = "#d5dde5"
MUTED = "#7d8a96"
ACCENT = "#3d9df3"

STATUS_COLOURS = {
    "pending": "#f2c14e",     # amber: waiting for the operator
    "accepted": "#3ecf8e",    # green
    "overridden": "#4fa3ff",  # blue: the operator set the time
    "auto": "#b48cff",        # violet: a policy decided
    "rejected": "#ff6b6b",    # red: logged time kept
    "cancelled": "#6b7680",   # grey
}
"""Distinct in hue and lightness, readable for the common colour-vision deficiencies."""

LOGGED_COLOUR = "#c8d0d8"
COLOUR_MAP = "cividis"

STYLE = f"""
QWidget {{ background: {BACKGROUND}; color: {TEXT}; font-size: 10pt; }}
QTableView {{ background: {PANEL}; gridline-color: #252c34; selection-background-color: #2b4a6b;
             selection-color: white; alternate-background-color: #1b2128; }}
QHeaderView::section {{ background: #1f262e; color: {MUTED}; border: none; padding: 3px 6px;
                        font-weight: 600; }}
QStatusBar {{ background: #0b0e11; color: {TEXT}; }}
QStatusBar QLabel {{ padding: 0 8px; font-family: "DejaVu Sans Mono", monospace; }}
QLabel#title {{ color: {MUTED}; font-weight: 600; letter-spacing: 1px; }}
QLabel#mode_live {{ background: #b3261e; color: white; font-weight: 700; padding: 1px 8px; }}
QLabel#mode_frozen {{ background: #3d4650; color: white; font-weight: 700; padding: 1px 8px; }}
QLabel#alert {{ color: #ffb454; font-weight: 600; }}
QTextBrowser {{ background: {PANEL}; border: none; }}
QProgressBar {{ background: #0b0e11; border: 1px solid #2a323b; height: 10px; }}
QProgressBar::chunk {{ background: qlineargradient(x1:0, y1:0, x2:1, y2:0, stop:0 #3ecf8e, stop:0.8 #f2c14e,
                       stop:1 #ff6b6b); }}
QPushButton {{ background: #222a33; border: 1px solid #33404c; padding: 4px 12px; }}
QPushButton:focus {{ border-color: {ACCENT}; }}
QCheckBox::indicator {{ width: 12px; height: 12px; border: 1px solid #5a6773; background: #0b0e11; }}
QCheckBox::indicator:checked {{ background: {ACCENT}; border-color: {ACCENT}; }}
QLineEdit, QComboBox, QDoubleSpinBox, QSpinBox {{ background: #0b0e11; border: 1px solid #33404c;
                                                padding: 2px 4px; }}
"""


def apply_theme(app: QApplication) -> None:
    """Fusion style, a dark palette, readable fonts, and matching pyqtgraph colours."""
    app.setStyle("Fusion")
    palette = QPalette()
    for role, colour in ((QPalette.ColorRole.Window, BACKGROUND), (QPalette.ColorRole.Base, PANEL),
                         (QPalette.ColorRole.Text, TEXT), (QPalette.ColorRole.WindowText, TEXT),
                         (QPalette.ColorRole.Button, "#222a33"), (QPalette.ColorRole.ButtonText, TEXT),
                         (QPalette.ColorRole.Highlight, "#2b4a6b"),
                         (QPalette.ColorRole.HighlightedText, "#ffffff")):
        palette.setColor(role, QColor(colour))
    app.setPalette(palette)
    font = QFont("DejaVu Sans", 10)
    app.setFont(font)
    app.setStyleSheet(STYLE)
    pg.setConfigOptions(background=BACKGROUND, foreground=MUTED, antialias=False)
