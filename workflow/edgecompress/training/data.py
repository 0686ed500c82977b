"""In-memory CIFAR-10 subset batches for PyTorch: seeded order, augmentation, resize, normalisation.

The prepared uint8 arrays are turned into one normalised float tensor once; a batch is an index
into it, so the data path costs next to nothing beside the model. Augmentation (training only):
random crop with 4 px black padding and random horizontal flip, the standard CIFAR recipe, applied
at 32 px before resizing. Normalisation uses ImageNet's mean and std, which the pretrained
torchvision weights expect (also used without pretraining, for one input pipeline).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
PAD = 4
BLACK = -torch.tensor(IMAGENET_MEAN) / torch.tensor(IMAGENET_STD)  # a 0 pixel after normalisation


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 (N, H, W, 3) to normalised float32 (N, 3, H, W)."""
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float().div_(255.0)
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (x - mean) / std


def resize(x: torch.Tensor, resolution: int) -> torch.Tensor:
    if x.shape[-1] == resolution:
        return x
    return F.interpolate(x, size=(resolution, resolution), mode="bilinear", align_corners=False)


def augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random crop (4 px padding) and horizontal flip, per image, drawn from ``generator``."""
    n, c, h, w = x.shape
    # pad with black, as torchvision's RandomCrop(padding=4) pads the raw image before Normalize:
    # here the image is already normalised, so black is (0 - mean) / std per channel, not 0
    padded = BLACK.to(x.dtype).view(1, c, 1, 1).repeat(n, 1, h + 2 * PAD, w + 2 * PAD)
    padded[:, :, PAD : PAD + h, PAD : PAD + w] = x
    offsets = torch.randint(0, 2 * PAD + 1, (n, 2), generator=generator)
    flips = torch.rand(n, generator=generator) < 0.5
    out = torch.empty_like(x)
    for i in range(n):
        dy, dx = int(offsets[i, 0]), int(offsets[i, 1])
        crop = padded[i, :, dy : dy + h, dx : dx + w]
        out[i] = crop.flip(-1) if flips[i] else crop
    return out


class Batches:
    """Mini-batches of a split; the order and augmentation of epoch ``e`` depend only on (seed, e)."""

    def __init__(
        self,
        images: np.ndarray,
        labels: np.ndarray,
        batch_size: int,
        resolution: int,
        shuffle: bool = False,
        augment: bool = False,
        seed: int = 0,
    ) -> None:
        self.x = to_tensor(images)
        self.y = torch.from_numpy(labels.astype(np.int64))
        self.batch_size = batch_size
        self.resolution = resolution
        self.shuffle = shuffle
        self.augment = augment
        self.seed = seed

    def __len__(self) -> int:
        return -(-len(self.y) // self.batch_size)

    def epoch(self, epoch: int = 0):
        generator = torch.Generator().manual_seed(self.seed * 1000 + epoch)
        order = torch.randperm(len(self.y), generator=generator) if self.shuffle else torch.arange(len(self.y))
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            x = self.x[idx]
            if self.augment:
                x = augment(x, generator)
            yield resize(x, self.resolution), self.y[idx]
