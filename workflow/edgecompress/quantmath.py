"""The paper's affine quantization (equations 1-3 and dequantization), vectorised.

    (2) S = (r_max - r_min) / (q_max - q_min)
    (3) Z = round(q_min - r_min / S)
    (1) q = round(r / S + Z), clipped to [q_min, q_max]
        r ≈ S · (q - Z)

Rounding: the paper's worked example maps r = 0.5 on [-1.5, 1.5] to
r/S + Z = 170.5 and writes q = 171, and Z = round(127.5) = 128: round half
away from zero. NumPy's ``np.round`` rounds half to even (170), so we use
:func:`round_half_away`. TFLite's reference kernels also round half away from
zero (``TfLiteRound`` is ``std::round``), while its optimised kernels may
differ in the last bit; ties are rare on real data either way.

``Z`` is clipped into [q_min, q_max] so that a range that does not contain 0
still gives a representable zero point (TFLite instead widens such ranges to
include 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RANGES = {"uint8": (0, 255), "int8": (-128, 127)}


@dataclass(frozen=True)
class QuantParams:
    scale: float
    zero_point: int
    q_min: int
    q_max: int
    dtype: str


def round_half_away(x):
    """Round to the nearest integer, ties away from zero (170.5 -> 171, -0.5 -> -1).

    Only an exact .5 is a tie: ``floor(|x| + 0.5)`` would round 0.49999999999999994 up, because
    the sum rounds to 1.0 in floating point. ``|x| - floor(|x|)`` is exact, so it is compared instead.
    """
    x = np.asarray(x, dtype=np.float64)
    magnitude = np.abs(x)
    whole = np.floor(magnitude)
    return np.sign(x) * (whole + (magnitude - whole >= 0.5))


def params_from_range(r_min: float, r_max: float, dtype: str = "uint8") -> QuantParams:
    """Scale and zero point of eq. (2) and (3) for the real range [r_min, r_max]."""
    if dtype not in RANGES:
        raise ValueError(f"dtype must be one of {sorted(RANGES)}, got {dtype!r}")
    if not (np.isfinite(r_min) and np.isfinite(r_max)):
        raise ValueError(f"range must be finite, got [{r_min}, {r_max}]")
    if r_max <= r_min:
        raise ValueError(
            f"degenerate range [{r_min}, {r_max}]: r_max must exceed r_min, or the scale S would be 0 and r/S undefined"
        )
    q_min, q_max = RANGES[dtype]
    scale = (r_max - r_min) / (q_max - q_min)
    zero_point = int(np.clip(round_half_away(q_min - r_min / scale), q_min, q_max))
    return QuantParams(scale, zero_point, q_min, q_max, dtype)


def quantize(r, p: QuantParams) -> np.ndarray:
    """Eq. (1): q = round(r / S + Z), clipped to [q_min, q_max]."""
    q = round_half_away(np.asarray(r, dtype=np.float64) / p.scale + p.zero_point)
    return np.clip(q, p.q_min, p.q_max).astype(p.dtype)


def dequantize(q, scale, zero_point) -> np.ndarray:
    """r ≈ S · (q − Z); ``scale`` and ``zero_point`` may be per-channel arrays (broadcast)."""
    return np.asarray(scale, dtype=np.float64) * (np.asarray(q, dtype=np.float64) - np.asarray(zero_point))
