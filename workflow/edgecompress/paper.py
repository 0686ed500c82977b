"""Every number the paper reports (../shared/paper/FACTS.md), to put beside ours."""

QUANTIZATION = {
    "size_mb": {"float32": 0.43, "int8": 0.04},
    "compression_ratio": {"float32": 1.0, "int8": 11.06},
    "accuracy": {"float32": 0.8280, "int8": 0.8310},
    "latency_ms": {"float32": None, "int8": 0.193},
}
