"""The error function behind the exact GELU: NumPy has none, so the library computes it."""

import math

import numpy as np

from backprop.layers.activations import erf


def test_erf_matches_math_erf_to_the_last_bits_over_its_whole_range():
    x = np.concatenate([np.linspace(-8, 8, 20001), [0.46875, -0.46875, 4.0, -4.0, 1e-300, 27.0]])
    ours = erf(x)
    reference = np.array([math.erf(v) for v in x])
    # a few units in the last place (2.2e-16); a wrong coefficient or branch is far larger
    assert np.max(np.abs(ours - reference)) <= 4.5e-16


def test_erf_of_infinities_nan_and_signed_zero():
    out = erf(np.array([np.inf, -np.inf, np.nan, -0.0, 0.0]))
    assert out[0] == 1.0 and out[1] == -1.0 and np.isnan(out[2])
    assert out[3] == 0.0 and out[4] == 0.0
