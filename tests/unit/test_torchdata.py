"""The PyTorch input pipeline: augmentation pads with black, as torchvision's RandomCrop does."""

import numpy as np
import torch

from edgecompress.training.data import BLACK, PAD, augment, to_tensor


def test_crop_padding_is_black_not_the_mean_colour():
    white = to_tensor(np.full((64, 32, 32, 3), 255, dtype=np.uint8))
    out = augment(white, torch.Generator().manual_seed(0))
    pixels = out.permute(0, 2, 3, 1).reshape(-1, 3)
    is_white = (pixels == white[0, :, 0, 0]).all(1)
    is_black = torch.isclose(pixels, BLACK).all(1)
    assert bool((is_white | is_black).all())  # every pixel is the image or black padding
    assert int(is_black.sum()) > 0  # some crops were shifted into the padding
    black_pixel = to_tensor(np.zeros((1, 1, 1, 3), dtype=np.uint8))[0, :, 0, 0]
    assert torch.allclose(BLACK, black_pixel)  # black is what a 0 pixel normalises to
    assert PAD == 4
