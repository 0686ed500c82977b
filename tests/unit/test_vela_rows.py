"""Vela's output read into rows, a file it cannot compile, an NPU class judged by its estimates."""

import pytest

from edgecompress.deployment import vela
from edgecompress.report import format, recommend

STDOUT = """Warning (supported operators) operator: DEQUANTIZE, ofm: 'x;1'
Warning (supported operators) operator: DEQUANTIZE, ofm: 'x;2'
Warning (supported operators) operator: ADD, ofm: 'y'
CPU operators = 3 (30.0%)
NPU operators = 7 (70.0%)
"""


SUMMARY = {
    "system_config": "Ethos_U55_High_End_Embedded",
    "memory_mode": "Shared_Sram",
    "core_clock": "500000000.0",
    "inference_time": "0.0046",
    "sram_memory_used": "32.0",
    "dram_memory_used": "0.0",
    "on_chip_flash_memory_used": "0.0",
    "off_chip_flash_memory_used": "2048.0",
    "weights_storage_area": "Off-chip Flash",
    "nn_macs": "6126208",
}


def test_vela_output_is_read_into_one_row():
    row = vela.parse(STDOUT, SUMMARY)
    assert (row["npu_operators"], row["cpu_operators"], row["npu_share"]) == (7, 3, pytest.approx(0.7))
    assert row["cpu_fallback"] == "DEQUANTIZE x2, ADD x1"
    assert row["inference_ms"] == pytest.approx(4.6) and row["clock_mhz"] == 500
    assert (row["sram_bytes"], row["weights_bytes"], row["weights_in"]) == (32 * 1024, 2048 * 1024, "Off-chip Flash")


@pytest.mark.parametrize("column", ["inference_time", "weights_storage_area"])
def test_a_vela_without_a_column_fails_naming_it(column):
    with pytest.raises(vela.VelaFormatError, match=f"no column '{column}'"):
        vela.parse(STDOUT, {k: v for k, v in SUMMARY.items() if k != column})
    with pytest.raises(vela.VelaFormatError, match="CPU operators"):
        vela.parse("nothing", SUMMARY)


def test_an_npu_class_is_judged_by_velas_estimates_for_its_accelerator():
    est = {
        "status": "compiled",
        "ms": 4.6,
        "sram_bytes": 32 * 1024,
        "weights_bytes": 3 * 2**20,
        "clock_mhz": "500",
        "version": "5.2.0",
    }
    c = recommend.Candidate("student", "int8", "CIFAR-10", {1: 0.8}, 2.7, None, npu={"ethos-u55-128": est})
    npu = {
        "name": "npu",
        "hardware": "npu",
        "npu": "ethos-u55-128",
        "flash_mib": 4,
        "ram_mib": 1,
        "latency_ms": 50,
        "precisions": ["int8"],
    }
    assert recommend.violations(npu, c) == []  # no measured latency or memory needed: Vela's estimates decide
    small = dict(npu, flash_mib=2, latency_ms=1)
    assert [format.violation_text(v) for v in recommend.violations(small, c)] == [
        "flash: Vela stores 3.00 MiB of weights > 2 MiB",
        "latency: 4.6 ms estimated by Vela > 1 ms",
    ]
    other = dict(npu, npu="ethos-u65-256")
    assert recommend.violations(other, c) == [("NPU not compiled", {"npu": "ethos-u65-256"})]
    assert format.violation_text(recommend.violations(other, c)[0]) == "NPU: not compiled by Vela for ethos-u65-256"


def test_a_file_vela_cannot_compile_is_a_row_that_says_why(tmp_path):
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"not a flatbuffer" * 4)
    found = vela.compile_one(str(bad), "ethos-u55-128")
    assert found["status"].startswith("not compiled (exit ") and len(found) == 1, found
