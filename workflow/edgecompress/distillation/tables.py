"""Experiment 3's tables: the paper's Table 2 beside ours, the T x α grid over seeds, per-epoch rows."""

from __future__ import annotations

from collections import defaultdict
from typing import Mapping, Sequence

from .. import paper
from ..paper import beside_paper
from ..results import read_jsons, write_csv
from ..stats import holm_adjusted, mean_std, paired_sign_flip_p
from ..training.models import IMAGENET_PARAMETERS


def table2_rows(
    teacher: Sequence[Mapping], student: Sequence[Mapping], kd: Sequence[Mapping], temperature: float, alpha: float
) -> list[dict]:
    """Accuracy (mean over seeds) and parameters of the student without and with KD, and the teacher."""
    p = paper.DISTILLATION
    chosen = [m for m in kd if m["distillation"]["temperature"] == temperature and m["distillation"]["alpha"] == alpha]
    rows = []
    for role, arch, name, runs, ref in (
        ("student", "mobilenet_v2", "MobileNetV2 (no KD)", student, p["student"]),
        (
            "student_kd",
            "mobilenet_v2",
            f"MobileNetV2 (KD, T={temperature:g}, alpha={alpha:g})",
            chosen,
            p["student_kd"],
        ),
        ("teacher", "resnet18", "ResNet-18 (teacher)", teacher, p["teacher"]),
    ):
        params = runs[0]["report"]["parameters"] if runs else None  # counted by the run, not a constant
        acc, std = mean_std([100 * m["accuracy"] for m in runs])
        rows.append(
            {
                "role": role,
                "arch": arch,
                "model": name,
                "seeds": len(runs),
                "accuracy_pct": acc,
                "accuracy_std": std,
                "paper_accuracy_pct": ref["accuracy_pct"],
                "difference_pct": acc - ref["accuracy_pct"],
                "parameters": params,
                "paper_parameters_m": ref["parameters_m"],
                "parameters_1000_class_head": IMAGENET_PARAMETERS[arch],
                "state_dict_bytes": runs[0]["state_dict_bytes"] if runs else None,
            }
        )
    return rows


FAMILY = "distillation"  # the report's family of these tests (edgecompress.report.verdicts)


def grid_rows(student: Sequence[Mapping], kd: Sequence[Mapping]) -> list[dict]:
    """Per (T, α): KD and no-KD accuracy over the same seeds, and the paired gain with its sign-flip p-value,
    raw and Holm-adjusted over the cells of the grid (the family the report corrects within)."""
    plain = {m["seed"]: m["accuracy"] for m in student}
    cells: dict[tuple, dict] = defaultdict(dict)
    for m in kd:
        cells[(m["distillation"]["temperature"], m["distillation"]["alpha"])][m["seed"]] = m["accuracy"]
    rows = []
    for (t, a), by_seed in sorted(cells.items()):
        seeds = sorted(s for s in by_seed if s in plain)
        gains = [100 * (by_seed[s] - plain[s]) for s in seeds]
        kd_mean, kd_std = mean_std([100 * by_seed[s] for s in seeds])
        base_mean, base_std = mean_std([100 * plain[s] for s in seeds])
        gain_mean, gain_std = mean_std(gains)
        rows.append(
            {
                "temperature": t,
                "alpha": a,
                "seeds": len(seeds),
                "kd_accuracy_pct": kd_mean,
                "kd_accuracy_std": kd_std,
                "no_kd_accuracy_pct": base_mean,
                "no_kd_accuracy_std": base_std,
                "gain_pct": gain_mean,
                "gain_std": gain_std,
                "gain_p_value": paired_sign_flip_p(gains),
                "seeds_with_gain": sum(g > 0 for g in gains),
            }
        )
    adjusted = holm_adjusted({i: r["gain_p_value"] for i, r in enumerate(rows)})
    for i, r in enumerate(rows):
        r.update(gain_p_holm=adjusted[i], p_family=FAMILY, tests_in_family=len(rows))
    return rows


def epoch_rows(teacher: Sequence[Mapping], student: Sequence[Mapping], kd: Sequence[Mapping]) -> list[dict]:
    p = paper.DISTILLATION
    rows = []
    for name, runs, ref in (
        ("teacher", teacher, p["teacher"]["epochs"]),
        ("student", student, p["student"]["epochs"]),
        ("student_kd", kd, None),
    ):
        for m in runs:
            setting = m.get("distillation") or {}
            rows += beside_paper(
                m["history"],
                ref,
                run=name,
                temperature=setting.get("temperature"),
                alpha=setting.get("alpha"),
                seed=m["seed"],
            )
    return rows


def distillation_tables(
    teacher_paths, student_paths, kd_paths, table2: str, grid: str, epochs: str, temperature: float, alpha: float
) -> None:
    """Rule distillation_tables: Table 2, the T x alpha grid with paired statistics, and the per-epoch rows."""
    teacher, student, kd = read_jsons(teacher_paths), read_jsons(student_paths), read_jsons(kd_paths)
    write_csv(table2, table2_rows(teacher, student, kd, temperature, alpha))
    write_csv(grid, grid_rows(student, kd))
    write_csv(epochs, epoch_rows(teacher, student, kd))
