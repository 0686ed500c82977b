import io
import pickle
import tarfile

import numpy as np
import pytest

from edgecompress.data import fixtures
from edgecompress.data.cifar import FOLDER, UnsafeArchiveError, load_cifar10, read_members, safe_unpickle
from edgecompress.data.prepare import prepare_cifar10_subset, stratified_indices


class CreatesFile:
    """Unpickling this would create a file, if the unpickler let it."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (str(self.path), "w"))


def test_fixture_archive_loads(fixture_dir):
    data = load_cifar10(fixture_dir / "cifar-10-python.tar.gz")
    assert data["x_train"].shape == (1500, 32, 32, 3) and data["x_train"].dtype == np.uint8
    assert data["x_test"].shape == (300, 32, 32, 3)
    assert list(data["class_names"]) == fixtures.CIFAR_CLASSES
    assert set(np.unique(data["y_train"])) == set(range(10))


def test_malicious_pickle_is_refused_and_runs_nothing(tmp_path):
    target = tmp_path / "pwned"
    payload = pickle.dumps({"data": CreatesFile(target)}, protocol=2)
    with pytest.raises(UnsafeArchiveError, match="refused global (io|builtins)\\.open"):
        safe_unpickle(payload, "data_batch_1")
    assert not target.exists()


def test_garbled_pickle_is_a_clear_error():
    with pytest.raises(
        UnsafeArchiveError, match="data_batch_1: (pickle data was truncated|not a readable CIFAR-10 pickle)"
    ):
        safe_unpickle(b"\x80\x02garbage", "data_batch_1")


def _tar_with(tmp_path, make_member):
    path = tmp_path / "evil.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        make_member(tar)
    return path


@pytest.mark.parametrize(
    "kind, message",
    [
        ("symlink", "is a link or device"),
        ("hardlink", "is a link or device"),
        ("absolute", "refused"),
        ("dotdot", "refused"),
        ("device", "is a link or device"),
    ],
)
def test_unsafe_tar_members_are_refused(tmp_path, kind, message):
    def make(tar):
        info = tarfile.TarInfo({"absolute": "/etc/evil", "dotdot": "../evil"}.get(kind, f"{FOLDER}/data_batch_1"))
        if kind == "symlink":
            info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        elif kind == "hardlink":
            info.type, info.linkname = tarfile.LNKTYPE, "/etc/passwd"
        elif kind == "device":
            info.type = tarfile.CHRTYPE
        if info.isfile():
            info.size = 3
            tar.addfile(info, io.BytesIO(b"abc"))
        else:
            tar.addfile(info)

    with pytest.raises(UnsafeArchiveError, match=message):
        read_members(_tar_with(tmp_path, make), ("data_batch_1",))


def test_missing_member_named(tmp_path):
    path = tmp_path / "c.tar.gz"
    members = fixtures.cifar_members(10, 10, seed=0)
    del members[f"{FOLDER}/test_batch"]
    fixtures.write_tar_gz(path, members)
    with pytest.raises(UnsafeArchiveError, match="missing members \\['test_batch'\\]"):
        load_cifar10(path)


def test_not_a_tar_is_a_clear_error(tmp_path):
    path = tmp_path / "c.tar.gz"
    path.write_bytes(b"not an archive")
    with pytest.raises(UnsafeArchiveError, match="not a readable tar.gz archive"):
        load_cifar10(path)


def test_stratified_subset_is_balanced_and_deterministic():
    labels = np.repeat(np.arange(10), 50)
    a = stratified_indices(labels, 105, np.random.default_rng(3), "train")
    b = stratified_indices(labels, 105, np.random.default_rng(3), "train")
    assert np.array_equal(a, b) and len(np.unique(a)) == 105
    counts = np.bincount(labels[a], minlength=10)
    assert counts.max() - counts.min() <= 1 and counts.sum() == 105
    c = stratified_indices(labels, 105, np.random.default_rng(4), "train")
    assert not np.array_equal(a, c)


def test_subset_larger_than_a_class_is_refused():
    labels = np.repeat(np.arange(10), 5)
    with pytest.raises(ValueError, match="class 0 has only 5 .* lower data.cifar10.train_size"):
        stratified_indices(labels, 100, np.random.default_rng(0), "train")


def test_prepared_subset_keeps_indices(fixture_dir, tmp_path):
    out = tmp_path / "subset.npz"
    info = prepare_cifar10_subset(fixture_dir / "cifar-10-python.tar.gz", out, 200, 100, seed=0)
    assert info["train"]["per_class"] == [20] * 10 and info["test"]["per_class"] == [10] * 10
    arrays = np.load(out)
    full = load_cifar10(fixture_dir / "cifar-10-python.tar.gz")
    assert np.array_equal(arrays["x_train"], full["x_train"][arrays["train_indices"]])
    assert np.array_equal(arrays["y_test"], full["y_test"][arrays["test_indices"]])
    assert not list(tmp_path.glob("*.part*"))


def test_a_member_over_the_cap_is_refused_unread(tmp_path, monkeypatch):
    from edgecompress.data import cifar

    monkeypatch.setattr(cifar, "MAX_MEMBER_BYTES", 1000)

    def make(tar):
        info = tarfile.TarInfo(f"{FOLDER}/data_batch_1")
        info.size = 5000
        tar.addfile(info, io.BytesIO(bytes(5000)))

    with pytest.raises(UnsafeArchiveError, match="claims 5,000 bytes, over the 1,000"):
        read_members(_tar_with(tmp_path, make), ("data_batch_1",))


def test_a_bad_batches_meta_names_the_member(tmp_path):
    path = tmp_path / "c.tar.gz"
    members = fixtures.cifar_members(10, 10, seed=0)
    members[f"{FOLDER}/batches.meta"] = pickle.dumps({"num_cases_per_batch": 10}, protocol=2)
    fixtures.write_tar_gz(path, members)
    with pytest.raises(UnsafeArchiveError, match=r"c.tar.gz:batches.meta: not CIFAR-10's batches.meta"):
        load_cifar10(path)


def _bad_archive(tmp_path, kind):
    """The fixture archive with one defect; returns its path."""
    members = fixtures.cifar_members(10, 10, seed=0)
    name = f"{FOLDER}/data_batch_2"
    x, y = fixtures.cifar_arrays("train", 10, 0)
    if kind == "shape":
        members[name] = fixtures.cifar_batch_bytes(x[:, :3000], y, "bad")
    elif kind == "dtype":
        members[name] = fixtures.cifar_batch_bytes(x.astype(np.float32), y, "bad")
    elif kind == "labels":
        members[name] = fixtures.cifar_batch_bytes(x, np.where(np.arange(len(y)) == 3, 10, y), "bad")
    path = tmp_path / "cifar-10-python.tar.gz"
    fixtures.write_tar_gz(path, members)
    if kind == "duplicate":  # the same member twice: which one a reader takes would be unknown
        with tarfile.open(path, "r:gz") as tar:
            entries = [(m, tar.extractfile(m).read()) for m in tar.getmembers()]
        with tarfile.open(path, "w:gz") as tar:
            for m, raw in entries + [e for e in entries if e[0].name == name]:
                tar.addfile(m, io.BytesIO(raw))
    elif kind == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return path


@pytest.mark.parametrize(
    "kind, message",
    [
        ("shape", r"data_batch_2: data must be uint8 of shape \(N, 3072\), got uint8 \(10, 3000\)"),
        ("dtype", r"data_batch_2: data must be uint8 of shape \(N, 3072\), got float32"),
        ("labels", r"data_batch_2: labels must be 10 values in 0\.\.9"),
        ("duplicate", r"member 'data_batch_2' appears twice"),
        ("truncated", r"not a readable tar\.gz archive"),
    ],
)
def test_a_bad_cifar_archive_is_one_clear_error_and_writes_nothing(tmp_path, kind, message):
    archive = _bad_archive(tmp_path, kind)
    out = tmp_path / "prepared" / "cifar10_subset.npz"
    out.parent.mkdir()
    with pytest.raises(UnsafeArchiveError, match=message) as err:
        prepare_cifar10_subset(archive, out, 20, 10, seed=0)
    assert str(archive) in str(err.value) and "\n" not in str(err.value)
    assert list(out.parent.iterdir()) == []  # no subset, no partial file
