"""The whistle detector's short-array median gives exactly numpy's median (it replaces it for speed)."""
from __future__ import annotations

import numpy as np
import pytest

from core.detect.whistle_spectrum import median


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_median_equals_numpy_bit_for_bit(dtype):
    rng = np.random.default_rng(3)
    for n in range(1, 80):
        values = (rng.standard_normal(n) * 10 ** rng.uniform(0, 3)).astype(dtype)  # ints: partial counts
        assert median(values) == float(np.median(values)), (n, dtype)
        ties = np.round(values, 0)
        assert median(ties) == float(np.median(ties)), (n, dtype)


def test_median_is_nan_with_a_nan_or_nothing():
    assert np.isnan(median(np.array([1.0, np.nan, 3.0])))
    assert np.isnan(median(np.array([np.nan])))
    assert np.isnan(median(np.zeros(0)))
    assert median(np.array([np.inf, 1.0, -np.inf])) == 1.0
