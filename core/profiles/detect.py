"""Running a profile's detectors over a media file: the anchors a sport's events are placed on."""
from __future__ import annotations

from core import ANALYSIS_RATE
from core.detect.beeps import StartLightsDetector
from core.detect.offline import detect_file
from core.detect.tones import BUZZER, HORN, ToneDetector
from core.dsp.stft import StreamingSTFT
from core.ingest.media import open_media
from core.model import Anchor
from core.profiles.profile import Profile

FRAME_DETECTORS = {
    "start_lights": lambda: StartLightsDetector(ANALYSIS_RATE),
    "buzzer": lambda: ToneDetector(BUZZER, ANALYSIS_RATE),
    "horn": lambda: ToneDetector(HORN, ANALYSIS_RATE),
}
"""Detectors of other sports, fed STFT frames; football's whistle and crowd detectors run as core.detect does."""


def detect_for_profile(path: str, profile: Profile, channel: int | None = None) -> list[Anchor]:
    """Every anchor of the profile's detectors in ``path``, in time order (sample indices at ANALYSIS_RATE)."""
    anchors: list[Anchor] = []
    football = [d for d in profile.detectors if d not in FRAME_DETECTORS]
    if football:
        anchors += [a for a in detect_file(path, channel=channel).anchors if a.kind in football]
    detectors = [FRAME_DETECTORS[d]() for d in profile.detectors if d in FRAME_DETECTORS]
    if detectors:
        stft = StreamingSTFT()
        with open_media(path, channel=channel) as media:
            for block in media:
                frames = stft.feed(block)
                for det in detectors:
                    anchors += det.feed(frames)
    return sorted(anchors, key=lambda a: (a.start, a.kind))
