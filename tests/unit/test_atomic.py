"""Atomic writes: a reader never sees a half-written file, and a killed writer's leftover goes."""

import pytest

from edgecompress.results import atomic_path, write_json


def test_a_failed_write_leaves_the_target_untouched_and_no_temporary_file(tmp_path):
    target = tmp_path / "metrics.json"
    write_json(target, {"a": 1})
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert target.read_text().startswith("{") and sorted(p.name for p in tmp_path.iterdir()) == ["metrics.json"]


def test_a_killed_writers_temporary_file_is_removed_by_the_next_write(tmp_path):
    """SIGKILL runs no cleanup: the rerun of the job removes what the killed one left of its own outputs."""
    stale = tmp_path / ".model.pt.k3j9x0qa.part"
    other = tmp_path / ".model.pt.json.k3j9x0qa.part"  # another target's: left alone
    stale.write_bytes(b"half a model")
    other.write_bytes(b"half a json")
    with atomic_path(tmp_path / "model.pt") as tmp:
        tmp.write_bytes(b"the model")
    assert (tmp_path / "model.pt").read_bytes() == b"the model"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".model.pt.json.k3j9x0qa.part", "model.pt"]
