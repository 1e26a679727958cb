"""A voice's comb of partials holds its offsets from the peak frame after frame; a crowd's noise does not."""
from __future__ import annotations

import numpy as np

from core import ANALYSIS_RATE
from core.detect.whistle_features import BinLayout
from core.detect.whistle_spectrum import partials

LAYOUT = BinLayout.for_geometry(ANALYSIS_RATE, 512)
PEAK_BIN = 90


def frames(offsets_per_frame: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Power spectra with a peak at PEAK_BIN and a partial 3 dB under it at each given offset."""
    spectra = np.full((len(offsets_per_frame), LAYOUT.nyquist_bin + 1), 1e-6, np.float32)
    spectra[:, PEAK_BIN] = 1.0
    for row, offsets in zip(spectra, offsets_per_frame):
        row[PEAK_BIN + np.asarray(offsets, int)] = 0.5
    return spectra, np.full(len(spectra), PEAK_BIN * LAYOUT.hz_per_bin)


def test_a_comb_held_frame_after_frame_is_persistent():
    comb = partials(*frames([[-6, -3, 3, 6]] * 12), LAYOUT)
    assert comb.count == 5 and comb.persistence == 1.0


def test_maxima_that_wander_from_frame_to_frame_are_not():
    wandering = [[-7, -4, 2, 5], [-6, -3, 3, 6], [-5, -2, 4, 7]] * 4  # each offset in a third of the frames
    comb = partials(*frames(wandering), LAYOUT)
    assert comb.count == 5 and comb.persistence == 1 / 3

