import gzip

import numpy as np
import pytest

from edgecompress.data.idx import IdxError, idx_bytes, parse_idx, read_idx
from edgecompress.data.prepare import load_fashion_mnist


def test_round_trip(tmp_path):
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(idx_bytes(images)))
    assert np.array_equal(read_idx(path, ndim=3), images)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda raw: b"\x01" + raw[1:], "bad magic number"),
        (lambda raw: raw[:2] + b"\x0d" + raw[3:], "type code 0x0d"),
        (lambda raw: raw[:-5], "truncated"),
        (lambda raw: raw + b"\x00", "trailing bytes"),
        (lambda raw: raw[:6], "truncated header"),
        (lambda raw: b"", "too short"),
    ],
)
def test_garbled_files_get_clear_errors(mutate, message):
    raw = idx_bytes(np.zeros((3, 4, 4), dtype=np.uint8))
    with pytest.raises(IdxError, match=message):
        parse_idx(mutate(raw), "x.idx")


def test_wrong_dimensions_named():
    with pytest.raises(IdxError, match="expected 1 dimensions, the header says 3"):
        parse_idx(idx_bytes(np.zeros((3, 4, 4), dtype=np.uint8)), "labels", ndim=1)


def test_truncated_gzip_names_the_file(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros((10, 28, 28), dtype=np.uint8)))[:-20])
    with pytest.raises(IdxError, match="train-images-idx3-ubyte.gz: not a valid gzip file or truncated"):
        read_idx(path)


def test_images_and_labels_must_agree(tmp_path):
    files = {}
    for name, arr in {
        "ti": np.zeros((5, 28, 28), np.uint8), "tl": np.zeros(4, np.uint8),
        "xi": np.zeros((2, 28, 28), np.uint8), "xl": np.zeros(2, np.uint8),
    }.items():  # fmt: skip
        files[name] = tmp_path / f"{name}.gz"
        files[name].write_bytes(gzip.compress(idx_bytes(arr)))
    with pytest.raises(IdxError, match="has 5 images but .*tl.gz has 4 labels"):
        load_fashion_mnist(files["ti"], files["tl"], files["xi"], files["xl"])


def test_magic_number_has_its_own_message():
    raw = b"\x01\x00" + idx_bytes(np.zeros((3, 4, 4), dtype=np.uint8))[2:]
    with pytest.raises(IdxError, match="bad magic number 0x0100080[0-9a-f]: an IDX file starts with two zero bytes"):
        parse_idx(raw, "x.idx")


def test_gzip_bomb_is_read_only_as_far_as_the_header_says(tmp_path):
    import tracemalloc

    header = idx_bytes(np.zeros((10, 28, 28), dtype=np.uint8))
    path = tmp_path / "bomb-idx3-ubyte.gz"
    with gzip.open(path, "wb") as gz:  # 7,840 bytes promised, 64 MiB of zeros delivered (64 KiB on disk)
        gz.write(header)
        for _ in range(64):
            gz.write(bytes(1 << 20))
    tracemalloc.start()
    try:
        with pytest.raises(IdxError, match="has trailing bytes"):
            read_idx(path, ndim=3)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024, f"read {peak:,} bytes of a file whose header promises 7,840"


def test_a_header_claiming_too_much_is_refused_before_reading(tmp_path):
    import struct

    path = tmp_path / "huge-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(struct.pack(">HBB3I", 0, 8, 3, 10**6, 1000, 1000)))
    with pytest.raises(IdxError, match="claims 1,000,000,000,000 bytes"):
        read_idx(path, ndim=3)
