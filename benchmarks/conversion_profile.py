"""Where a deploy_model job's seconds go: imports, litert-torch's conversion, and what a second
conversion in the same process costs (what converting several models in one job would save).

    .venv/bin/python benchmarks/conversion_profile.py [--arch resnet18 mobilenet_v2] [--resolution 32]
        [--calibration 50] [--out benchmarks/results/conversion_profile.csv]

Rows (one CSV, metric / value / target / met; seconds, one process, one thread as the rule's jobs):
- importing torch and litert-torch (paid once per job);
- per architecture: the first float32 conversion in the process, the same conversion again, the int8
  conversion (PT2E prepare, calibration on ``--calibration`` images, convert, lowering);
- the overhead a job that converts several models would pay once instead of per model: the imports
  plus what the first float32 conversion of the first architecture costs over the same conversion
  again, and its share of that job (imports, float32 and int8 of one model).
Weights and calibration images are random: a conversion's cost depends on the graph, not the values.
"""

from __future__ import annotations

import argparse
import time

T0 = time.perf_counter()
import torch  # noqa: E402

T_TORCH = time.perf_counter()
import litert_torch  # noqa: E402,F401

T_LITERT = time.perf_counter()


from edgecompress.deployment.convert import to_litert  # noqa: E402
from edgecompress.results import write_csv  # noqa: E402
from edgecompress.training.models import build  # noqa: E402


def seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def profile(arch: str, resolution: int, calibration: int) -> dict[str, float]:
    torch.manual_seed(0)
    model = build(arch).eval()
    images = torch.rand(calibration, resolution, resolution, 3)
    return {
        "float32, first in the process": seconds(lambda: to_litert(model, resolution, "float32")),
        "float32, again": seconds(lambda: to_litert(model, resolution, "float32")),
        "int8": seconds(lambda: to_litert(model, resolution, "int8", images)),
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", nargs="+", default=["resnet18", "mobilenet_v2"])
    parser.add_argument("--resolution", type=int, default=32)
    parser.add_argument("--calibration", type=int, default=50)
    parser.add_argument("--out", default="benchmarks/results/conversion_profile.csv")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    imports = T_LITERT - T0
    rows = [
        {"metric": "import torch (s)", "value": round(T_TORCH - T0, 2)},
        {"metric": "import litert-torch (s)", "value": round(T_LITERT - T_TORCH, 2)},
    ]
    profiles = {arch: profile(arch, args.resolution, args.calibration) for arch in args.arch}
    for arch, times in profiles.items():
        rows += [{"metric": f"{arch}: {name} (s)", "value": round(value, 2)} for name, value in times.items()]
    # the first architecture converted pays the process's one-time costs: a job that converts several
    # models would pay them once; each model's own conversions it pays anyway
    arch, times = next(iter(profiles.items()))
    once = imports + times["float32, first in the process"] - times["float32, again"]
    job = imports + times["float32, first in the process"] + times["int8"]
    rows += [
        {"metric": f"one-time cost of a job converting {arch} (s)", "value": round(once, 2)},
        {"metric": "share of that job a batched conversion would save", "value": round(once / job, 3)},
    ]
    for row in rows:
        row.update(target="", met="")
    write_csv(args.out, rows, ["metric", "value", "target", "met"])
    for row in rows:
        print(f"{row['metric']}: {row['value']}")


if __name__ == "__main__":
    main()
