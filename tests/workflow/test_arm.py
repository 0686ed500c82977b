"""ARM parity: the deployed files on aarch64 LiteRT (qemu-user) against x86.

The unit tests need no emulator: the comparison, the sample, the reasons a run cannot happen and the
worker (which both platforms run) on x86. The workflow test reads the session demo's
``arm_parity.csv``: every ``.tflite`` of the run has a row; where the sysroot is built (``make arm``;
CI builds it as root and must run it) every file ran on aarch64 and agrees with x86.
"""

import json
import os

import pytest

from edgecompress.deployment import arm
from edgecompress.results import read_csv

SYSROOT = arm.default_sysroot()


@pytest.mark.workflow
def test_every_deployed_file_of_the_demo_has_an_arm_parity_row(run):
    d = run["dir"]
    rows = read_csv(d / "results/deployment/arm_parity.csv")
    deployed = {str(p.relative_to(d)) for p in (d / "results").rglob("*.tflite") if "roofs" not in p.parts}
    assert {r["file"] for r in rows} == deployed, deployed ^ {r["file"] for r in rows}
    why = arm.not_ready(SYSROOT)
    if os.environ.get("CI") == "true":  # CI builds the sysroot (make venv, as root): it must run there
        assert why is None, why
    if why is not None:
        assert all(r["status"] == f"not run: {why}" for r in rows), rows[:2]
        return
    assert all(r["status"] == "ran" and int(r["images"]) == 4 and r["core"] == "cortex-a72" for r in rows), rows
    assert not [r for r in rows if r["flagged"] == "True"], [r for r in rows if r["flagged"] == "True"]
    ints = [r for r in rows if r["output_type"] == "int8"]
    assert ints and all(r["identical"] == r["images"] for r in ints)  # XNNPACK's int8 kernels: bit-exact on the A72
    typ = (d / "results/report/paper.typ").read_text(encoding="utf-8")
    assert "ARM parity: the same files on aarch64" in typ and 'On ARM: #"runs the same on aarch64 (cortex-a72' in typ
    json.dumps(rows)  # the rows are plain values
