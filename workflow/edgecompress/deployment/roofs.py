"""Rule roof_models: the compute-bound models whose timing gives the CPU's peak MAC rates (:mod:`.roofline`).

Two kinds of kernel, as the deployed models use them: ``dense`` (1x1 convolutions, a 1,024 x 512 x
512 matrix product each) and ``depthwise`` (3x3 depthwise convolutions over 256 channels of a
16 x 16 map), each small enough to stay in cache, as float32 and full-integer int8 ``.tflite``
converted like every deployed model.
"""

from __future__ import annotations

import logging
from typing import Mapping

from ..modelkey import PRECISIONS
from ..seeding import seed_everything
from .convert import export, to_litert

log = logging.getLogger(__name__)

ROOF_CHANNELS, ROOF_LAYERS, ROOF_SIZE = 512, 2, 32  # dense: 2 x (1,024 x 512 x 512) MACs per call
DW_CHANNELS, DW_LAYERS, DW_SIZE = 256, 8, 16  # depthwise: 8 x (256 x 256 x 9) MACs per call


def roof_module(kind: str = "dense"):
    """A compute-bound model: 1x1 convolutions (``dense``) or 3x3 depthwise ones (``depthwise``), in cache."""
    from torch import nn

    if kind == "dense":
        layers = [nn.Conv2d(3, ROOF_CHANNELS, 1)]
        for _ in range(ROOF_LAYERS):
            layers += [nn.Conv2d(ROOF_CHANNELS, ROOF_CHANNELS, 1), nn.ReLU()]
    else:
        layers = [nn.Conv2d(3, DW_CHANNELS, 1)]
        for _ in range(DW_LAYERS):
            layers += [nn.Conv2d(DW_CHANNELS, DW_CHANNELS, 3, padding=1, groups=DW_CHANNELS), nn.ReLU()]
    return nn.Sequential(*layers).eval()


def roof_models(out: Mapping[str, str], seed: int) -> None:
    """Rule roof_models: ``roof_module`` of each kind as float32 and int8 ``.tflite``.

    ``out``: "<precision>_<kind>" -> path."""
    import torch

    seed_everything(seed, 1, frameworks=("torch",))
    for kind, size in (("dense", ROOF_SIZE), ("depthwise", DW_SIZE)):
        model = roof_module(kind)
        calibration = torch.randn(8, size, size, 3)
        for precision in PRECISIONS:
            export(to_litert(model, size, precision, calibration), out[f"{precision}_{kind}"])
            log.info("roof model %s %s written to %s", precision, kind, out[f"{precision}_{kind}"])
