"""ARM parity without qemu: how two runtimes' outputs are compared and flagged, the seeded sample, the rows
written when a file is refused or parity is off, and what the device choice says about a disagreeing file."""

import numpy as np
import pytest

from edgecompress.deployment import arm, arm_worker
from edgecompress.report import format, parity
from edgecompress.results import read_csv


def test_integer_outputs_are_compared_in_steps_and_flagged_beyond_one():
    x86 = np.array([[10, -3, 5], [1, 2, 3], [0, 0, 9]], np.int8)
    labels = np.array([0, 2, 2])
    same = arm.compare(x86, x86.copy(), labels)
    assert (same["identical"], same["max_step_difference"], same["flagged"]) == (3, 0, False)
    assert same["accuracy_arm"] == same["accuracy_x86"] == pytest.approx(1.0)
    one = x86.copy()
    one[1, 0] += 1  # a rounding step: not beyond rounding
    found = arm.compare(x86, one, labels)
    assert (found["identical"], found["max_step_difference"], found["flagged"]) == (2, 1, False)
    moved = x86.copy()
    moved[1, 0] += 5  # 6 > 3: the argmax moves too
    found = arm.compare(x86, moved, labels)
    assert found["flagged"] and found["argmax_agreement"] == pytest.approx(2 / 3) and found["max_step_difference"] == 5


def test_float_outputs_are_flagged_beyond_a_tenth_of_a_percent_of_the_largest_logit():
    x86 = np.array([[10.0, 2.0], [3.0, 4.0]], np.float32)
    assert not arm.compare(x86, x86 + 1e-5, np.array([0, 1]))["flagged"]
    assert arm.compare(x86, x86 + np.float32(0.05), np.array([0, 1]))["flagged"]


def test_the_sample_is_fixed_by_the_seed():
    assert list(arm.sample(100, 5, 42)) == list(arm.sample(100, 5, 42))
    assert list(arm.sample(100, 5, 42)) != list(arm.sample(100, 5, 43))
    assert list(arm.sample(3, 16, 0)) == [0, 1, 2]


def test_turned_off_or_not_set_up_every_file_gets_a_row_that_says_so(tmp_path):
    files = {"cnn": {"int8": "cnn_int8.tflite"}, "student/seed1": {"float32": "a.tflite", "int8": "b.tflite"}}
    cfg = {"enabled": False, "images": 4, "core": "cortex-a72"}
    out = tmp_path / "off.csv"
    arm.arm_parity(files, "c.npz", "f.npz", 32, cfg, "xnnpack", 0, tmp_path, str(out))
    rows = read_csv(out)
    assert len(rows) == 3 and all(r["status"] == "turned off (deployment.arm.enabled: false)" for r in rows)
    arm.arm_parity(files, "c.npz", "f.npz", 32, dict(cfg, enabled=True), "xnnpack", 0, tmp_path / "none", str(out))
    rows = read_csv(out)
    assert all(r["status"].startswith("not run: ") and "make arm" in r["status"] for r in rows), rows
    assert arm.not_ready(tmp_path / "none") is not None


def test_a_file_the_interpreter_refuses_is_an_error_entry_not_a_crash(tmp_path):
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"not a flatbuffer" * 10)
    np.savez(tmp_path / "in.npz", in_0=np.zeros((1, 4), np.float32))
    found = arm_worker.run({"files": [str(bad)], "resolver": "AUTO", "inputs": str(tmp_path / "in.npz")})
    assert "out_0" not in found and "error_0" in found and str(found["error_0"])


def test_a_disagreeing_file_makes_the_aarch64_choice_say_so():
    rows = [
        {
            "model": f"student/seed{s}",
            "precision": "int8",
            "status": "ran",
            "core": "cortex-a72",
            "images": "4",
            "identical": "4" if s == 1 else "2",
            "output_type": "int8",
            "max_step_difference": "0" if s == 1 else "7",
            "max_abs_difference": "",
            "argmax_agreement": "1" if s == 1 else "0.5",
            "flagged": str(s != 1),
        }
        for s in (1, 2)
    ]
    s = parity.summaries(rows)[("student", "int8")]
    assert s["flagged"] and (s["identical"], s["images"], s["files"]) == (6, 8, 2)
    assert format.parity_line(s).startswith(
        "DISAGREES on aarch64 (cortex-a72, 8 images over 2 file(s); int8 outputs identical "
        "on 6 of 8, the same class on 6 of 8, up to 7 steps)"
    )
    ok = parity.summaries(rows[:1])[("student", "int8")]
    assert format.parity_line(ok) == (
        "runs the same on aarch64 (cortex-a72, 4 images over 1 file(s); int8 outputs identical "
        "on 4 of 4, the same class on 4 of 4)"
    )
