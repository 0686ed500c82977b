"""Small datasets and weights in the exact official file formats, for tests and ``make demo``.

Images come from scikit-learn's bundled handwritten digits (real scans, 8x8,
classes 0-9), upscaled and placed where their class says; CIFAR-10 images are
also coloured by class. A model trained one short epoch on them is well above
chance, so the end-to-end tests can prove learning, not only wiring.

The weight files are NOT ImageNet weights: deterministic He-normal random
values in torchvision's format (a "pretrained" run on them is a random-init run
that exercises the loading path, and the report says so from their checksum). Everything is deterministic:
the same versions give byte-identical files, so their checksums can be pinned
in ``config/test.yaml``.

    python -m edgecompress.data.fixtures resources/fixtures
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import pickle
import tarfile
from pathlib import Path

import numpy as np

from ..checksums import sha256
from ..results import atomic_path
from .cifar import FOLDER, META, TEST_BATCH, TRAIN_BATCHES
from .idx import idx_bytes

FASHION_FILES = {
    "train-images-idx3-ubyte.gz": ("train", "images"),
    "train-labels-idx1-ubyte.gz": ("train", "labels"),
    "t10k-images-idx3-ubyte.gz": ("test", "images"),
    "t10k-labels-idx1-ubyte.gz": ("test", "labels"),
}
CIFAR_ARCHIVE = "cifar-10-python.tar.gz"
CIFAR_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
WEIGHT_FILES = {"resnet18": "resnet18-f37072fd.pth", "mobilenet_v2": "mobilenet_v2-b0353104.pth"}


def digits(split: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` 8x8 digit images (float 0..1) of one split, drawn in a seeded order.

    The first 1,400 scans feed ``train``, the other 397 ``test``, so no scan is in both.
    """
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images, labels = bunch.images / 16.0, bunch.target.astype(np.uint8)
    pool = slice(0, 1400) if split == "train" else slice(1400, None)
    images, labels = images[pool], labels[pool]
    rng = np.random.default_rng(seed)
    pick = np.concatenate([rng.permutation(len(labels)) for _ in range(-(-n // len(labels)))])[:n]
    return images[pick], labels[pick]


# Where the 24 px glyph of each class sits in the 32 px CIFAR-format image (top-left corner), and
# how far the 24 px glyph of each class is shifted in the 28 px Fashion-MNIST-format image.
CIFAR_OFFSETS = [(0, 0), (0, 4), (0, 8), (4, 0), (4, 4), (4, 8), (8, 0), (8, 4), (8, 8), (2, 6)]
FASHION_SHIFTS = [(0, 0), (0, 2), (0, 4), (2, 0), (2, 2), (2, 4), (4, 0), (4, 2), (4, 4), (1, 3)]


def class_colours(classes: int = 10) -> np.ndarray:
    """One saturated colour per class, evenly spaced in hue (RGB in 0..1)."""
    import colorsys

    return np.array([colorsys.hsv_to_rgb(i / classes, 0.9, 1.0) for i in range(classes)])


def fashion_arrays(split: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """28x28 uint8 images: digits upscaled 3x (24 px) at a class-dependent place, with a little noise."""
    small, labels = digits(split, n, seed)
    glyphs = np.kron(small, np.ones((3, 3)))
    big = np.zeros((n, 28, 28))
    for i, label in enumerate(labels):
        dy, dx = FASHION_SHIFTS[label]
        big[i, dy : dy + 24, dx : dx + 24] = glyphs[i]
    rng = np.random.default_rng(seed + 1)
    big = np.clip(big * 255 + rng.normal(0, 12, big.shape), 0, 255)
    return big.astype(np.uint8), labels


def cifar_arrays(split: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(n, 3072) uint8 rows in CIFAR's channel-major order.

    A digit in its class's colour, at its class's place, on a dim ground of the same hue: shape,
    colour and position all carry the label, so one short epoch of a randomly initialised
    ResNet-18 already learns it (the end-to-end tests assert how far above chance).
    """
    small, labels = digits(split, n, seed)
    glyphs = np.kron(small, np.ones((3, 3)))  # 24 px
    mask = np.zeros((n, 32, 32, 1))
    for i, label in enumerate(labels):
        dy, dx = CIFAR_OFFSETS[label]
        mask[i, dy : dy + 24, dx : dx + 24, 0] = glyphs[i]
    rng = np.random.default_rng(seed + 2)
    colour = class_colours()[labels][:, None, None, :]
    fg = np.clip(colour + rng.normal(0, 0.06, size=(n, 1, 1, 3)), 0, 1)
    bg = np.clip(0.35 * colour + rng.normal(0, 0.04, size=(n, 1, 1, 3)), 0, 1)
    img = bg * (1 - mask) + fg * mask + rng.normal(0, 0.03, size=(n, 32, 32, 3))
    img = (np.clip(img, 0, 1) * 255).astype(np.uint8)
    return img.transpose(0, 3, 1, 2).reshape(n, 3072), labels


def gzip_bytes(raw: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as gz:
        gz.write(raw)
    return buf.getvalue()


def cifar_batch_bytes(data: np.ndarray, labels: np.ndarray, batch_label: str) -> bytes:
    batch = {
        "batch_label": batch_label,
        "labels": [int(v) for v in labels],
        "data": data,
        "filenames": [f"fixture_{i:05d}.png" for i in range(len(labels))],
    }
    return pickle.dumps(batch, protocol=2)


def write_tar_gz(path: str | os.PathLike, members: dict[str, bytes]) -> None:
    """A gzipped tar holding ``members`` (name to bytes), with fixed metadata."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, raw in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(raw), 0, 0o644
            tar.addfile(info, io.BytesIO(raw))
    with atomic_path(path) as tmp:
        tmp.write_bytes(gzip_bytes(buf.getvalue()))


def cifar_members(train_per_batch: int, test_size: int, seed: int) -> dict[str, bytes]:
    """The members of ``cifar-10-python.tar.gz``, by path inside the archive."""
    members = {}
    x, y = cifar_arrays("train", train_per_batch * len(TRAIN_BATCHES), seed)
    for i, name in enumerate(TRAIN_BATCHES):
        part = slice(i * train_per_batch, (i + 1) * train_per_batch)
        members[f"{FOLDER}/{name}"] = cifar_batch_bytes(x[part], y[part], f"training batch {i + 1} of 5")
    x, y = cifar_arrays("test", test_size, seed + 10)
    members[f"{FOLDER}/{TEST_BATCH}"] = cifar_batch_bytes(x, y, "testing batch 1 of 1")
    meta = {"num_cases_per_batch": train_per_batch, "label_names": CIFAR_CLASSES, "num_vis": 3072}
    members[f"{FOLDER}/{META}"] = pickle.dumps(meta, protocol=2)
    return members


def write_weights(path: str | os.PathLike, arch: str, seed: int = 0) -> None:
    """A torchvision-format state_dict for ``arch`` with deterministic He-normal weights.

    Filled from NumPy's generator (platform independent), so the file is
    byte-identical everywhere; it exercises the loading path, not accuracy.
    """
    import torch
    import torchvision

    model = getattr(torchvision.models, arch)(weights=None)
    rng = np.random.default_rng(seed)
    state = {}
    for name, tensor in model.state_dict().items():
        leaf = name.rsplit(".", 1)[-1]
        if leaf == "num_batches_tracked":
            value = np.zeros((), dtype=np.int64)
        elif leaf == "running_var" or (leaf == "weight" and tensor.ndim == 1):
            value = np.ones(tensor.shape, dtype=np.float32)
        elif leaf in ("bias", "running_mean"):
            value = np.zeros(tensor.shape, dtype=np.float32)
        else:
            fan_in = int(np.prod(tensor.shape[1:]))
            value = rng.normal(0, np.sqrt(2.0 / fan_in), size=tensor.shape).astype(np.float32)
        state[name] = torch.from_numpy(value)
    buf = io.BytesIO()  # not a file name: torch.save names the archive's root after it
    torch.save(state, buf)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buf.getvalue())


def write_all(
    out: str | os.PathLike,
    seed: int = 0,
    weights: bool = True,
    fashion_train: int = 1200,
    fashion_test: int = 300,
    cifar_train_per_batch: int = 300,
    cifar_test: int = 300,
) -> dict[str, str]:
    """Write every fixture under ``out``; return the sha256 of each file by name."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    sizes = {"train": fashion_train, "test": fashion_test}
    for name, (split, kind) in FASHION_FILES.items():
        x, y = fashion_arrays(split, sizes[split], seed + (0 if split == "train" else 10))
        with atomic_path(out / name) as tmp:
            tmp.write_bytes(gzip_bytes(idx_bytes(x if kind == "images" else y)))
    write_tar_gz(out / CIFAR_ARCHIVE, cifar_members(cifar_train_per_batch, cifar_test, seed))
    if weights:
        for arch, name in WEIGHT_FILES.items():
            write_weights(out / name, arch, seed)
    files = sorted(p for p in out.iterdir() if p.is_file() and p.name != "SHA256SUMS")
    digests = {p.name: sha256(p) for p in files}
    (out / "SHA256SUMS").write_text("".join(f"{d}  {n}\n" for n, d in digests.items()))
    return digests


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", help="folder to write the fixtures to (used as data.mirror)")
    parser.add_argument("--no-weights", action="store_true", help="skip the model weight files")
    args = parser.parse_args(argv)
    for name, digest in write_all(args.out, weights=not args.no_weights).items():
        print(f"{digest}  {name}")


if __name__ == "__main__":
    main()
