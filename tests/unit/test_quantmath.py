"""The paper's quantization formulas, its worked example, and their error bound."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from edgecompress.quantmath import dequantize, params_from_range, quantize, round_half_away


def test_worked_example_exactly():
    p = params_from_range(-1.5, 1.5, "uint8")
    assert p.scale == 3.0 / 255 and p.zero_point == 128
    assert 0.5 / p.scale + p.zero_point == 170.5  # the tie the paper rounds up
    q = quantize(0.5, p)
    assert q == 171 and q.dtype == np.uint8
    assert abs(dequantize(q, p.scale, p.zero_point) - 0.5) <= p.scale / 2
    assert np.round(170.5) == 170  # why NumPy's rounding is not used


def test_round_half_away_from_zero():
    assert round_half_away([0.5, 1.5, 2.5, -0.5, -2.5, 2.4]).tolist() == [1, 2, 3, -1, -3, 2]


@pytest.mark.parametrize(
    "x, expected",
    [
        (0.49999999999999994, 0.0),
        (-0.49999999999999994, 0.0),  # the largest double below 0.5: nearest is 0
        (2.4999999999999996, 2.0),
        (170.49999999999997, 170.0),
        (0.5000000000000001, 1.0),
        (170.5, 171.0),
        (-170.5, -171.0),
        (4503599627370495.5, 4503599627370496.0),
    ],
)
def test_half_away_only_at_exact_ties(x, expected):
    assert round_half_away(x) == expected


@settings(max_examples=200, deadline=None)
@given(
    below=st.floats(0, 1e3, allow_nan=False),
    above=st.floats(0, 1e3, allow_nan=False),
    dtype=st.sampled_from(["uint8", "int8"]),
    fractions=st.lists(st.floats(0, 1), min_size=1, max_size=50),
)
def test_round_trip_error_at_most_half_a_step_inside_the_range(below, above, dtype, fractions):
    """Ranges that hold 0 (as every real tensor range does, and as eq. 3 assumes)."""
    lo, hi = -below, above
    width = hi - lo
    assume(width >= 1e-3)
    p = params_from_range(lo, hi, dtype)
    assert p.q_min <= p.zero_point <= p.q_max  # 0 inside the range: the zero point is never clipped
    r = lo + np.asarray(fractions) * width
    err = np.abs(dequantize(quantize(r, p), p.scale, p.zero_point) - r)
    grid_lo = p.scale * (p.q_min - p.zero_point)
    grid_hi = p.scale * (p.q_max - p.zero_point)
    inside = (r >= grid_lo) & (r <= grid_hi)
    assert np.all(err[inside] <= p.scale / 2 * (1 + 1e-9) + 1e-12)


def test_values_outside_the_range_are_clipped():
    p = params_from_range(-1.0, 1.0, "int8")
    q = quantize([-100.0, 100.0], p)
    assert q.tolist() == [-128, 127] and q.dtype == np.int8


def test_int8_range_is_symmetric_enough():
    p = params_from_range(-1.0, 1.0, "int8")
    assert p.q_min == -128 and p.q_max == 127 and p.zero_point in (-1, 0)


@pytest.mark.parametrize("lo, hi", [(0.5, 0.5), (1.0, -1.0), (float("nan"), 1.0)])
def test_degenerate_ranges_get_a_clear_error(lo, hi):
    with pytest.raises(ValueError, match="degenerate range|must be finite"):
        params_from_range(lo, hi)


def test_per_channel_dequantize_broadcasts():
    q = np.array([[10, -10], [20, -20]], dtype=np.int8)
    out = dequantize(q, np.array([0.1, 0.2]), 0)
    assert np.allclose(out, [[1.0, -2.0], [2.0, -4.0]])
