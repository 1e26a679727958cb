"""The demo's HTML report: self-contained, renders in headless Chromium (screenshot: see the screenshots fixture)."""
from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
from PySide6.QtGui import QImage

from core.detect.offline import detect_file
from core.model import LoggedEvent
from core.training.html import render_html
from core.training.material import load_demo
from core.training.report import build_report, corrected_by_matchsync

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    material = load_demo(7, 3.0, tmp_path_factory.mktemp("demo"))
    offsets = (0.35, 0.6, 0.2, 0.9, 0.45, 0.3, 0.75)
    entries = [LoggedEvent(f"t{i}", e.type, e.t + offsets[i % len(offsets)]) for i, e in enumerate(material.truth)
               if i != 2]
    entries[4] = LoggedEvent(entries[4].id, "corner", entries[4].t)
    entries.append(LoggedEvent("x", "foul", 30.0))
    anchors = detect_file(material.audio_path).anchors
    return build_report("Ana Demo", material.name, material.truth, entries, corrected_by_matchsync(anchors, entries))


def test_report_is_self_contained(report):
    html = render_html(report)
    assert html.count("<svg") == 2 and "<script" not in html
    assert not any(marker in html for marker in ("src=", "href=", "@import", "url("))
    assert report["trainee"]["overall"]["misses"] >= 1 and report["trainee"]["overall"]["wrong_type"] == 1


def test_report_renders_in_headless_chromium(report, tmp_path, screenshots):
    page = tmp_path / "report.html"
    page.write_text(render_html(report), encoding="utf-8")
    shot = tmp_path / "report.png"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--no-first-run", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1240,1310",
                    "--hide-scrollbars", page.as_uri()], check=True, capture_output=True, timeout=120)
    image = QImage(str(shot)).convertToFormat(QImage.Format.Format_RGB32)
    assert (image.width(), image.height()) == (1240, 1310)
    pixels = np.frombuffer(image.constBits(), np.uint32, image.width() * image.height())
    assert len(np.unique(pixels)) > 50  # text and plots, not a blank page
    shutil.copyfile(shot, screenshots / "training_report.png")
