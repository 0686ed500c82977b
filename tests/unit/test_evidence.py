"""Choose by expectation, claim by evidence: intervals over seeds, the sign-flip check, Holm's levels.

The recorded six-seed numbers are from the real-data run behind issue 34 (single-board CPU class):
the report chose the structured ResNet-18 in float32 (39.6 %) over the unstructured one in int8
(45.2 %) because six seeds could not test the 5.6-point lead.
"""

import itertools
import math

import numpy as np
import pytest
from scipy import stats as st

from edgecompress import stats
from edgecompress.report import evidence, format, recommend
from edgecompress.report.evidence import Comparison, judge
from edgecompress.report.format import plain
from edgecompress.report.verdicts import choices, reach
from helpers import REPO, benchmark_module

SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"

SEEDS = [42, 43, 44, 45, 46, 47]
STRUCTURED_F32 = [40.4, 37.8, 43.0, 42.0, 38.8, 35.9]
UNSTRUCTURED_I8 = [46.6, 44.3, 46.4, 46.0, 43.7, 44.5]
EVIDENCE = {
    "min_points_over_chance": 20,
    "alpha": 0.05,
    "max_cost_points": 1.0,
    "tie_points": 0.5,
    "speedup_noise": 0.15,
}
BOARD = {
    "name": "single-board CPU",
    "hardware": "cpu",
    "flash_mib": 20,
    "ram_mib": 64,
    "latency_ms": 2,
    "precisions": ["float32", "int8"],
}
# the three other classes of the default config that each had two models within budget (four tests in the family)
OTHERS = [
    {
        "name": n,
        "hardware": "cpu",
        "flash_mib": 500,
        "ram_mib": 4096,
        "latency_ms": 5,
        "precisions": ["float32", "int8"],
    }
    for n in ("phone-class CPU", "server CPU", "another CPU")
]


def recorded_rows():
    """Deployment-table rows with the recorded accuracies: structured float32 10.7 MiB 0.50 ms, unstructured
    int8 10.8 MiB 0.53 ms (latencies within 15 %); the dense baseline too large for the board."""
    rows = []
    for s, a_s, a_u in zip(SEEDS, STRUCTURED_F32, UNSTRUCTURED_I8):
        common = {
            "process_rss_bytes_float32": 25.6 * 2**20,
            "process_rss_bytes_int8": 25.6 * 2**20,
            "arena_bytes_float32": "",
            "arena_bytes_int8": "",
            "tflm_float32": "runs",
            "tflm_int8": "runs",
            "litert_float32_suspect": "False",
            "litert_int8_suspect": "False",
        }
        rows.append(
            dict(
                common,
                model=f"structured/amount0.5/seed{s}",
                accuracy_torch=a_s / 100,
                accuracy_float32=a_s / 100,
                accuracy_int8=(a_s - 5) / 100,
                mib_float32=10.7,
                mib_int8=2.8,
                litert_float32_ms=0.50,
                litert_int8_ms=0.30,
            )
        )
        rows.append(
            dict(
                common,
                model=f"unstructured/amount0.5/seed{s}",
                accuracy_torch=(a_u + 0.2) / 100,
                accuracy_float32=(a_u + 0.2) / 100,
                accuracy_int8=a_u / 100,
                mib_float32=42.7,
                mib_int8=10.8,
                litert_float32_ms=1.9,
                litert_int8_ms=0.53,
            )
        )
    return rows


def test_the_recorded_six_seed_run_chooses_the_unstructured_int8_model_with_an_interval():
    rows = recorded_rows()
    cands = [c for c in recommend.candidates(rows) if c.task == "CIFAR-10"]
    picked = plain(recommend.choose(BOARD, cands, tie_points=0.5, speed_noise=0.15))
    # unstructured float32 (45.45 %) is 42.7 MiB: over the 20 MiB flash; of the rest int8 leads by 5.60 points
    assert picked["chosen"].label == "unstructured/amount0.5 int8", picked["chosen"].label
    assert picked["runner_up"].label == "structured/amount0.5 float32" and not picked["tie"]
    assert picked["lead_points"] == pytest.approx(5.6)
    # the verdict, in a family of four tests as on the real run: the t-interval clears 0 but the sign-flip
    # check cannot (2/2^6 = 0.031 > 0.05/4): open, and the row says the run could not decide it by design
    gates_passing = {"CIFAR-10": [], "Fashion-MNIST": []}
    table = [
        c for c in plain(choices(rows, [BOARD, *OTHERS], gates_passing, EVIDENCE, "CPU")) if c["task"] == "CIFAR-10"
    ]
    board = next(c for c in table if c["device"] == "single-board CPU")
    assert board["chosen"] == "unstructured/amount0.5 int8"
    assert board["verdict"] == "open: cannot decide with 6 seeds", board["verdict"]
    # each class's claim is against every fitting rival (intersection-union): the other three classes' claims
    # include rivals their choice cannot be shown to beat, so this lead is the family's strongest claim and
    # Holm tests it first, at 0.05 / 4: the interval clears 0 (the lead is real by the t-interval), the
    # sign-flip check still cannot
    assert board["interval"] == "[+2.64, +8.56] at 98.75 %", board["interval"]
    assert "the interval says supported but the sign-flip test does not reach it" in board["test"]
    assert board["tests"] == "4"


def test_the_same_lead_on_eight_seeds_is_supported():
    d = np.array(UNSTRUCTURED_I8) - np.array(STRUCTURED_F32)
    more = list(d) + [5.0, 6.1]  # two more seeds with leads like the six
    a = {i: (40 + x) / 100 for i, x in enumerate(more)}
    b = dict.fromkeys(range(8), 0.40)
    found = judge([Comparison("board", a, b)] + [Comparison(f"o{k}", a, b) for k in range(3)], 0.05, "f")
    assert found["board"]["verdict"] == "supported" and found["board"]["reachable"]
    assert found["board"]["p"] == pytest.approx(2 / 2**8)


def test_interval_verdicts_supported_refuted_equivalent_open():
    rng = np.random.default_rng(1)
    noise = rng.normal(0, 0.002, 10)
    base = {i: 0.5 for i in range(10)}
    # +3 points with 0.2-point noise on ten seeds: supported; -3: refuted; ~0 within the 0.5 tolerance: equivalent
    up = judge([Comparison("x", {i: 0.53 + noise[i] for i in range(10)}, base)], 0.05, tolerance=0.5)["x"]
    down = judge([Comparison("x", {i: 0.47 + noise[i] for i in range(10)}, base)], 0.05, tolerance=0.5)["x"]
    flat = judge([Comparison("x", {i: 0.5 + noise[i] / 4 for i in range(10)}, base)], 0.05, tolerance=0.5)["x"]
    noisy = judge([Comparison("x", {i: 0.5 + 10 * noise[i] for i in range(10)}, base)], 0.05, tolerance=0.5)["x"]
    assert (up["verdict"], down["verdict"], flat["verdict"], noisy["verdict"]) == (
        "supported",
        "refuted",
        "equivalent",
        "open",
    )
    lo, hi = up["interval"]
    assert lo > 0 and lo < up["points"] < hi
    # the open claim says the power its run had at the spread it measured, not how many seeds to add
    assert 0 < noisy["power"][1.0] < noisy["power"][2.0] <= 1, noisy["power"]
    assert "a run with more seeds is a new experiment" in format.test_text(noisy)
    assert "would decide" not in format.test_text(noisy) and "needs" not in format.verdict_text(noisy)


def test_an_interval_clears_its_bound_exactly_when_holm_rejects():
    rng = np.random.default_rng(7)
    for _ in range(200):
        m = int(rng.integers(1, 6))
        comps = [
            Comparison(
                f"c{k}",
                {i: 0.5 + rng.normal(rng.normal(0, 0.02), 0.02) for i in range(8)},
                dict.fromkeys(range(8), 0.5),
                margin_points=float(rng.choice([0.0, 1.0])),
            )
            for k in range(m)
        ]
        ps = {c.key: c.p_t for c in comps}
        rejected = {k: p < 0.05 for k, p in stats.holm_adjusted(ps).items()}
        levels = evidence.holm_levels(ps, 0.05)
        for c in comps:
            lo, hi = c.interval(1 - levels[c.key])
            assert (lo > -c.margin_points or hi < -c.margin_points) == rejected[c.key]


def test_holm_adjusted_p_values():
    adjusted = stats.holm_adjusted({"a": 0.01, "b": 0.04, "c": 0.03})
    assert adjusted == pytest.approx({"a": 0.03, "c": 0.06, "b": 0.06})
    assert stats.holm_adjusted({"a": 0.03}, m=2) == pytest.approx({"a": 0.06})


def test_t_quantiles_come_from_scipy_beyond_thirty_degrees_of_freedom():
    # the old table stopped at 30 and used 1.96 beyond; 40 rounds need t(39) = 2.023
    assert stats.t_quantile(0.975, 39) == pytest.approx(st.t.ppf(0.975, 39)) == pytest.approx(2.0227, abs=1e-4)
    ratios = np.exp(np.random.default_rng(0).normal(0.3, 0.1, 40))
    g = stats.geometric_ratio(ratios, np.ones(40))
    half = st.t.ppf(0.975, 39) * np.std(np.log(ratios), ddof=1) / math.sqrt(40)
    assert g["ratio"] == pytest.approx(np.exp(np.log(ratios).mean()))
    assert (g["low"], g["high"]) == pytest.approx((g["ratio"] * math.exp(-half), g["ratio"] * math.exp(half)))


def test_more_than_twenty_seeds_are_tested_by_sampling_not_refused():
    d = [1.0] * 25
    p = stats.paired_sign_flip_p(d)
    assert p == stats.paired_sign_flip_p(d)  # seeded: the same differences give the same p
    assert p == pytest.approx(1 / (stats.SAMPLED_FLIPS + 1), abs=3e-5)  # every flip but the all-plus ones differs
    assert stats.paired_sign_flip_p([1.0, -1.0] * 12 + [0.1]) > 0.5
    found = judge([Comparison("x", dict.fromkeys(range(25), 0.6), dict.fromkeys(range(25), 0.5))], 0.05)["x"]
    assert found["verdict"] == "supported" and found["smallest_p"] < 1e-5


def test_reach_says_which_families_the_default_seeds_can_decide(tmp_path):
    from edgecompress.config import load_config  # the workflow's own loading: merge and schema defaults
    from edgecompress.report.verdicts import reach

    config = load_config([REPO / "config" / "config.yaml"], SCHEMA, workdir=tmp_path)
    found = {r["family"]: r for r in reach(config)}
    cifar = found["device choices, CIFAR-10"]
    assert cifar["tests"] == str(len(config["devices"])) and cifar["decidable"], cifar
    undecidable = [f for f, r in found.items() if not r["decidable"]]
    # no family of the default config is undecidable by design: the CNN is trained once, as in the paper,
    # so its choices pair its files over the official 10,000 test images (the exact McNemar test)
    assert undecidable == [], undecidable
    fashion = found["device choices, Fashion-MNIST"]
    assert fashion["seeds"] == "10000 test images" and fashion["smallest_p"] == "2/2^10000"
    assert "not between trainings" in fashion["status"]
    # ... with as few test images as cannot reach Holm's threshold, it says so
    assert not {r["family"]: r for r in reach(config, 7)}["device choices, Fashion-MNIST"]["decidable"]
    six = load_config([REPO / "config" / "config.yaml"], SCHEMA, workdir=tmp_path)
    for branch in ("pruning", "distillation"):
        six[branch]["seeds"] = SEEDS
    assert not {r["family"]: r for r in reach(six)}["device choices, CIFAR-10"]["decidable"]
    assert (
        "cannot decide with 6 seeds (8 needed)"
        in {r["family"]: r for r in reach(six)}["device choices, CIFAR-10"]["status"]
    )


def test_the_run_cost_benchmark_sums_a_committed_run_by_stage_and_seed(tmp_path):
    """benchmarks/run_cost.py on docs/sizing/paper-scale-6-seeds-cpu: stages add up to the total, the
    shared jobs plus six mean seeds too, and the eight-seed estimate adds two seeds."""
    import csv

    bench = benchmark_module("run_cost")
    bench.main(
        [str(REPO / "docs/sizing/paper-scale-6-seeds-cpu"), "--compare-seeds", "8", "--out", str(tmp_path / "c.csv")]
    )
    with open(tmp_path / "c.csv", newline="") as fh:
        rows = {r["metric"]: float(r["value"]) for r in csv.DictReader(fh)}
    total = next(v for k, v in rows.items() if k.startswith("all ") and k.endswith("jobs: seconds"))
    stages = sum(v for k, v in rows.items() if ": seconds of " in k)
    assert stages == pytest.approx(total, abs=0.1 * len(rows))
    shared = next(v for k, v in rows.items() if k.startswith("shared jobs"))
    seed = rows["one seed's jobs (mean of 6 seeds): seconds"]
    assert shared + 6 * seed == pytest.approx(total, abs=1)
    assert rows["the same run with 8 seeds: seconds (estimate)"] == pytest.approx(total + 2 * seed, abs=1)
    assert rows["8 seeds instead of 6: seconds added"] == pytest.approx(2 * seed, abs=1)
    assert rows["8 seeds instead of 6: share of this run added"] == pytest.approx(2 * seed / total, abs=1e-3)
    log = tmp_path / "run.snakemake.log"
    log.write_text(
        "Building DAG of jobs...\n[Sun Dec  6 21:05:52 2026]\nrule a:\n[Sun Dec  6 22:06:02 2026]\nFinished\n"
    )
    bench.main([str(REPO / "docs/sizing/paper-scale-6-seeds-cpu"), "--log", str(log), "--out", str(tmp_path / "w.csv")])
    with open(tmp_path / "w.csv", newline="") as fh:
        walled = {r["metric"]: float(r["value"]) for r in csv.DictReader(fh)}
    assert walled["the run's wall seconds (Snakemake's log)"] == 3610
    assert walled["job-seconds per wall second"] == pytest.approx(total / 3610, abs=1e-3)
    log.write_text("Nothing to be done.\n")
    with pytest.raises(ValueError, match="fewer than two job stamps"):
        bench.wall_seconds(log)
    with pytest.raises(ValueError, match="not a Snakemake benchmark file"):
        (tmp_path / "bad").mkdir()
        (tmp_path / "bad" / "x.tsv").write_text("seconds\n1\n")
        bench.jobs(tmp_path / "bad")


def test_the_sign_flip_test_on_per_image_outcomes_is_exact_for_any_number_of_images():
    rng = np.random.default_rng(0)
    # the grouped computation against all 2^n sign patterns, with and without a margin
    for _ in range(50):
        n, margin = int(rng.integers(2, 15)), float(rng.choice([0.0, 0.5, 1.0]))
        d = rng.choice([-100.0, 0.0, 100.0], size=n) + margin
        flips = np.array(list(itertools.product((1.0, -1.0), repeat=n)))
        exact = float(np.mean(np.abs((flips * d).mean(axis=1)) >= abs(d.mean()) - 1e-12))
        assert stats._grouped_sign_flip_p(d) == pytest.approx(exact, abs=1e-12)
    # beyond twenty pairs, 0/1 outcomes: McNemar's exact test (binomial over the discordant images)
    d = np.concatenate([np.zeros(9800), np.full(110, 100.0), np.full(90, -100.0)])
    assert stats.paired_sign_flip_p(d) == pytest.approx(st.binomtest(110, 200).pvalue, rel=1e-9)
    assert stats.smallest_sign_flip_p(10_000, magnitudes=3) == 0.0 < stats.smallest_sign_flip_p(10_000)


def cnn_rows(f32: float, i8: float) -> list[dict]:
    common = {
        "model": "cnn",
        "mib_float32": 0.2,
        "mib_int8": 0.06,
        "litert_float32_ms": 0.05,
        "litert_int8_ms": 0.04,
        "litert_float32_suspect": "False",
        "litert_int8_suspect": "False",
        "tflm_float32": "runs",
        "tflm_int8": "runs",
        "arena_bytes_float32": "",
        "arena_bytes_int8": "",
        "process_rss_bytes_float32": 20 * 2**20,
        "process_rss_bytes_int8": 20 * 2**20,
    }
    return [dict(common, accuracy_float32=f32, accuracy_int8=i8)]


def outcomes(correct: int, n: int = 10_000, rng=None) -> str:
    bits = np.zeros(n, dtype=bool)
    bits[(rng or np.random.default_rng(1)).permutation(n)[:correct]] = True
    return "".join("1" if b else "0" for b in bits)


def test_the_cnn_choice_is_decided_over_its_test_images_not_left_open_for_want_of_seeds():
    # the CNN is trained once: float32 and int8 of it are paired image by image. The int8 file agrees with the
    # float32 one on all but 60 images (int8 right on 25 of them, float32 on 35): a 0.1-point loss
    rng = np.random.default_rng(2)
    f32 = np.array([c == "1" for c in outcomes(9000, rng=rng)])
    i8 = f32.copy()
    right, wrong = np.flatnonzero(f32), np.flatnonzero(~f32)
    i8[right[:35]], i8[wrong[:25]] = False, True
    bits = {
        ("cnn", "float32"): "".join("1" if b else "0" for b in f32),
        ("cnn", "int8"): "".join("1" if b else "0" for b in i8),
    }
    micro = {
        "name": "microcontroller",
        "hardware": "cpu",
        "flash_mib": 1,
        "ram_mib": 64,
        "latency_ms": 5,
        "precisions": ["float32", "int8"],
    }
    table = plain(
        choices(
            cnn_rows(f32.mean(), i8.mean()),
            [micro],
            {"CIFAR-10": [], "Fashion-MNIST": []},
            EVIDENCE,
            "CPU",
            per_image=bits,
        )
    )
    row = next(c for c in table if c["task"] == "Fashion-MNIST")
    # within the 0.5-point tolerance: a tie, won by the smaller int8 (latencies within the noise); its claim,
    # "at most 0.5 points below float32", is decided over the 10,000 images: the interval lies above -0.5
    assert row["chosen"] == "cnn int8" and "ties with cnn float32" in row["basis"], row
    assert row["verdict"] == "supported", row
    assert "paired over 10000 test images" in row["test"] and "seeds" not in row["verdict"]
    lo, hi = (float(x) for x in row["interval"].split(" at ")[0].strip("[]").split(", "))
    assert lo > -0.5 and lo < -0.1 < hi
    # the same files without per-image outcomes: one seed, nothing can be decided (today's behaviour)
    without = plain(
        choices(cnn_rows(f32.mean(), i8.mean()), [micro], {"CIFAR-10": [], "Fashion-MNIST": []}, EVIDENCE, "CPU")
    )
    assert next(c for c in without if c["task"] == "Fashion-MNIST")["verdict"].startswith(
        "open: cannot decide with 1 seed"
    )
    # outcomes that do not give the table's accuracy are refused, naming the model
    with pytest.raises(ValueError, match="cnn int8: its per-image outcomes give accuracy"):
        recommend.candidates(cnn_rows(f32.mean(), i8.mean() + 0.01), per_image=bits)


def test_what_a_test_can_reach_counts_informative_pairs_not_seeds():
    # eight seeds, three of which show no difference at all: a zero difference flips to itself, so the
    # sign-flip test's floor is that of five pairs (2 / 2^5 = 0.0625), not 2 / 2^8
    a = {s: 0.80 + (0.02 if s < 5 else 0.0) for s in range(8)}
    b = dict.fromkeys(range(8), 0.80)
    found = judge([Comparison("c", a, b)], 0.05, "f")["c"]
    assert found["seeds"] == 8 and found["informative"] == 5
    assert found["smallest_p"] == pytest.approx(2 / 2**5) and not found["reachable"]
    assert "5 informative of 8 seeds" in format.test_text(found)
    # a missing seed lowers it too
    assert judge([Comparison("d", dict(list(a.items())[:4]), b)], 0.05)["d"]["informative"] == 4
    # per-image outcomes: only the images on which the two files disagree count
    f32 = {i: float(i % 10 != 0) for i in range(1000)}
    i8 = {**f32, 0: 1.0, 10: 1.0, 20: 1.0, 1: 0.0}
    assert Comparison("cnn", i8, f32, unit=evidence.IMAGE).informative == 4
    # the design table says so for the CNN's family when the files' outcomes are known
    config = {
        "evidence": {"alpha": 0.05},
        "pruning": {"seeds": [1], "unstructured": {"amounts": [0.5]}, "structured": {"amounts": [0.5]}},
        "distillation": {"seeds": [1], "temperatures": [4], "alphas": [0.9]},
        "devices": [{}] * 5,
    }
    cnn = {r["family"]: r for r in reach(config, 10_000, 4)}["device choices, Fashion-MNIST"]
    assert cnn["seeds"].startswith("4 test images on which the two files disagree (of 10,000)")
    assert not cnn["decidable"]  # 2 / 2^4 = 0.125 against 0.05 / 5


def test_the_power_a_run_had_is_the_noncentral_t_power_and_zero_where_the_check_cannot_reach():
    # 8 seeds, paired spread 1 point, a true 1-point difference, a 5 % two-sided t-test: checked by simulation
    power = stats.paired_power(8, 1.0, 1.0, 0.05)
    rng = np.random.default_rng(3)
    d = rng.normal(1.0, 1.0, size=(40_000, 8))
    t = d.mean(axis=1) / (d.std(axis=1, ddof=1) / math.sqrt(8))
    simulated = float(np.mean(np.abs(t) > st.t.ppf(0.975, 7)))
    assert power == pytest.approx(simulated, abs=0.01) and 0.5 < power < 0.9
    assert stats.paired_power(16, 1.0, 1.0, 0.05) > power > stats.paired_power(8, 2.0, 1.0, 0.05)
    assert stats.paired_power(1, 1.0, 1.0, 0.05) == 0.0
    # six seeds at 0.05 / 4: the sign-flip check cannot reach 0.0125, so the run had no power at all
    assert evidence.run_power(6, 1.0, 0.0125, reachable=False) == {1.0: 0.0, 2.0: 0.0}


def test_the_power_table_gives_each_familys_spread_and_the_power_of_more_seeds(tmp_path):
    """benchmarks/power_table.py on a hand-made finished run: the spread and power it prints are
    stats.paired_power's at the family's strictest Holm level, and zero where the sign-flip check
    cannot reach that level with so few seeds."""
    bench = benchmark_module("power_table")
    run = tmp_path / "run"
    (run / "results/deployment").mkdir(parents=True)
    rng = np.random.default_rng(5)
    lines = ["model,accuracy_torch,accuracy_float32,accuracy_int8"]
    for s in range(42, 50):
        base = 0.80 + rng.normal(0, 0.01)
        for model, acc in (
            (f"baseline/seed{s}", base),
            (f"unstructured/amount0.5/seed{s}", base - 0.01 + rng.normal(0, 0.015)),
            (f"student/seed{s}", 0.75),
            (f"kd/T4_alpha0.9/seed{s}", 0.76 + rng.normal(0, 0.01)),
        ):
            lines.append(f"{model},{acc},{acc},{acc - 0.002}")
    (run / "results/deployment/table.csv").write_text("\n".join(lines) + "\n")
    rows = bench.main([str(run), "--out", str(tmp_path / "power.csv")])
    by = {r["comparison"]: r for r in rows}
    u = by["unstructured/amount0.5 vs baseline"]
    assert u["family"] == "unstructured pruning" and u["seeds"] == 8 and u["level"] == 0.05
    assert u["power_12_seeds_1_point"] == pytest.approx(
        stats.paired_power(12, u["paired_spread_points"], 1.0, 0.05), abs=2e-3
    )
    assert u["power_8_seeds_1_point"] <= u["power_12_seeds_1_point"] <= u["power_16_seeds_1_point"]
    assert u["power_16_seeds_1_point"] < u["power_16_seeds_2_point"]
    # every int8 file costs 0.2 points exactly: no spread, full power wherever the check can reach
    assert by["baseline int8 vs float32"]["paired_spread_points"] == 0
    assert (tmp_path / "power.csv").read_text().startswith("family,comparison,seeds")
    # a family of 9 tests at 0.05 / 9: 8 seeds cannot reach it (2/2^8 = 0.0078 > 0.0056), so no power
    assert (
        bench.row("f", "c", {s: 0.9 for s in range(8)}, {s: 0.8 for s in range(8)}, 0.05 / 9)["power_8_seeds_1_point"]
        == 0.0
    )


def test_the_power_table_reads_the_trainings_before_the_deployment_stage(tmp_path):
    """Before a run reaches its deployment table, the trainings' own metrics give the same accuracies."""
    import json

    bench = benchmark_module("power_table")
    run = tmp_path / "run"
    for s in range(42, 46):
        for cfg, acc in (("baseline", 0.80 + 0.01 * s % 3), ("unstructured/amount0.5", 0.79 + 0.004 * (s % 2))):
            path = run / "results/pruning" / cfg / f"seed{s}" / "metrics.json"
            path.parent.mkdir(parents=True)
            path.write_text(json.dumps({"accuracy": acc}))
    rows = bench.main([str(run), "--out", str(tmp_path / "power.csv")])
    (u,) = [r for r in rows if r["comparison"] == "unstructured/amount0.5 vs baseline"]
    assert u["seeds"] == 4 and u["paired_spread_points"] > 0
    assert not any(r["family"] == "int8 against float32" for r in rows)  # no deployed files yet
