"""Provenance: what every metrics file records about how it was made."""

import json

import numpy as np

from edgecompress import provenance


def test_provenance_is_complete_and_stable(tmp_path):
    data = tmp_path / "in.bin"
    data.write_bytes(b"abc")
    a = provenance.collect({"b": 1, "a": [1, 2]}, {"data": data}, threads=2, pretrained=False)
    b = provenance.collect({"a": [1, 2], "b": 1}, {"data": data}, threads=2, pretrained=False)
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)  # no timestamps, order-free
    assert a["inputs"]["data"]["sha256"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert a["pretrained"] is False and a["threads"] == 2 and a["python"].startswith("3.11")
    assert a["packages"]["numpy"] == np.__version__
    assert len(a["git_commit"]) >= 40 or a["git_commit"] == "unknown"
    assert a["config_sha256"] != provenance.config_hash({"b": 2, "a": [1, 2]})


def test_git_commit_outside_git_is_unknown(tmp_path):
    assert provenance.git_commit(tmp_path) == "unknown"
