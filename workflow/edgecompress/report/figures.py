"""The report's figures (matplotlib), each saved as PNG (for the PDF) and SVG, byte-stable.

The notebooks call these; keeping them here makes them testable and the notebooks thin.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, Sequence

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullFormatter  # noqa: E402

from ..deployment.levels import levels_of  # noqa: E402
from ..modelkey import PRUNING  # noqa: E402

plt.rcParams.update(
    {"svg.hashsalt": "edgecompress", "figure.dpi": 100, "font.size": 9, "axes.grid": True, "grid.alpha": 0.3}
)
COLORS = plt.rcParams["axes.prop_cycle"].by_key()["color"]
# The narrowest accuracy axis drawn (percentage points): a smaller range would turn a difference of a tenth of
# a point into the panel's full height. Differences this small are judged by the report's tests, not by eye.
ACCURACY_SPAN = 2.0
# Mantissas tried per decade, coarsest first, until a log axis has this many labelled ticks in view.
LOG_MANTISSAS = ((1,), (1, 2, 5), (1, 2, 3, 5, 7), tuple(range(1, 10)))
MIN_LOG_TICKS = 3


def log_ticks(ax, axis: str = "x") -> list[float]:
    """Label a log axis whatever its range: the coarsest 1-2-5 style ticks giving at least
    :data:`MIN_LOG_TICKS` inside the view, printed as plain numbers (a range within one decade would
    otherwise show one label or none); a range narrower than that gets evenly spaced round values. Call
    after the data are drawn; returns the ticks."""
    lo, hi = sorted(ax.get_xlim() if axis == "x" else ax.get_ylim())
    decades = range(int(np.floor(np.log10(lo))), int(np.ceil(np.log10(hi))) + 1)
    for mantissas in LOG_MANTISSAS:
        ticks = [m * 10.0**d for d in decades for m in mantissas if lo <= m * 10.0**d <= hi]
        if len(ticks) >= MIN_LOG_TICKS:
            break
    else:  # narrower than the gap between two of 1..9 x 10^k (68.1 to 68.9 MiB): evenly spaced round values
        ticks = [float(t) for t in MaxNLocator(MIN_LOG_TICKS + 1).tick_values(lo, hi) if lo <= t <= hi]
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_locator(FixedLocator(ticks))
    target.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    target.set_minor_formatter(NullFormatter())
    (ax.set_xlim if axis == "x" else ax.set_ylim)(lo, hi)
    return ticks


def accuracy_axis(ax, top: float = 100.0) -> None:
    """Widen an accuracy axis (%) to at least :data:`ACCURACY_SPAN` points around its data, and end it at
    ``top`` plus a margin: a mean + std above 100 % (a symmetric spread near the ceiling) is cut at the
    ceiling instead of drawing a scale no accuracy reaches."""
    lo, hi = ax.get_ylim()
    ceiling = top + 0.5
    if hi - lo < ACCURACY_SPAN:
        mid = (lo + hi) / 2
        lo, hi = mid - ACCURACY_SPAN / 2, mid + ACCURACY_SPAN / 2
    if hi > ceiling:
        lo, hi = min(lo, ceiling - ACCURACY_SPAN), ceiling
    ax.set_ylim(lo, hi)


def unoverlap(fig, labels: Sequence) -> None:
    """Move annotations (drawn with ``textcoords="offset points"``) up, in order, until none covers an
    earlier one: labels of equal values (two memory levels of one bandwidth, two roofs of one peak)
    would otherwise print over each other."""
    renderer = fig.canvas.get_renderer()
    placed = []
    for label in labels:
        box = label.get_window_extent(renderer)
        for _ in range(len(placed)):  # at most one step per earlier label
            if not any(box.overlaps(other) for other in placed):
                break
            dx, dy = label.xyann
            label.xyann = (dx, dy + box.height * 72 / fig.dpi + 1)
            box = label.get_window_extent(renderer)
        placed.append(box)


def save(fig, stem: str | os.PathLike) -> list[str]:
    """Write ``stem``.png and ``stem``.svg without timestamps; return both paths."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [f"{stem}.png", f"{stem}.svg"]
    fig.savefig(paths[0], dpi=150, bbox_inches="tight", metadata={"Software": None})
    fig.savefig(paths[1], bbox_inches="tight", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    return paths


def save_with_legend(
    fig, stem, families: Sequence[str], bottom: float, precisions: Sequence[str] = ("float32", "int8")
) -> list[str]:
    """One legend below the axes (colour: the model family, marker: the precision), then :func:`save`."""
    handles = [
        plt.Line2D([], [], ls="", marker="o", color=COLORS[i % len(COLORS)], label=f) for i, f in enumerate(families)
    ]
    handles += [plt.Line2D([], [], ls="", marker=MARKERS[p], color="gray", label=p) for p in precisions]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=7, frameon=False)
    fig.tight_layout(rect=(0, bottom, 1, 1))
    return save(fig, stem)


def curve(rows: Sequence[Mapping], label: str) -> dict:
    """One run for :func:`training_curves` from its rows of an epochs CSV (strings, empty = no paper value)."""
    values = lambda key: [None if r[key] in ("", None) else float(r[key]) for r in rows]  # noqa: E731
    return {
        "label": label,
        "epochs": [int(r["epoch"]) for r in rows],
        "loss": values("loss"),
        "accuracy_pct": values("test_accuracy_pct"),
        "paper_loss": values("paper_loss"),
        "paper_accuracy_pct": values("paper_test_accuracy_pct"),
    }


def training_curves(runs: Sequence[Mapping], stem, title: str) -> list[str]:
    """Loss and test accuracy per epoch; ours solid, the paper's dashed in the same colour.

    Each run: {"label", "epochs": [...], "loss": [...], "accuracy_pct": [...], "paper_loss", "paper_accuracy_pct"}.
    """
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.4))
    for i, run in enumerate(runs):
        c = COLORS[i % len(COLORS)]
        ax_loss.plot(run["epochs"], run["loss"], "o-", color=c, label=f"{run['label']} (ours)")
        ax_acc.plot(run["epochs"], run["accuracy_pct"], "o-", color=c, label=f"{run['label']} (ours)")
        if run.get("paper_loss") and any(v is not None for v in run["paper_loss"]):
            ax_loss.plot(run["epochs"], run["paper_loss"], "s--", color=c, alpha=0.7, label=f"{run['label']} (paper)")
            ax_acc.plot(
                run["epochs"], run["paper_accuracy_pct"], "s--", color=c, alpha=0.7, label=f"{run['label']} (paper)"
            )
    ax_loss.set(xlabel="epoch", ylabel="training loss")
    ax_acc.set(xlabel="epoch", ylabel="test accuracy (%)")
    for ax in (ax_loss, ax_acc):
        ax.xaxis.get_major_locator().set_params(integer=True)
    accuracy_axis(ax_acc)
    ax_acc.legend(fontsize=7, loc="best")
    fig.suptitle(title)
    return save(fig, stem)


def quantization(variants: Sequence[Mapping], stem) -> list[str]:
    """Size and accuracy of every model of experiment 1 (variants: name, size_mib, accuracy).

    Latency is not here: it is timed with every other model in the deployment stage (its figure).
    """
    fig, (ax_size, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.4))
    names = [v["name"] for v in variants]
    for ax, key, scale, label in (
        (ax_size, "size_mib", 1, "file size (MiB)"),
        (ax_acc, "accuracy", 100, "test accuracy (%)"),
    ):
        ax.bar(names, [scale * v[key] for v in variants], color=COLORS[: len(names)])
        ax.set(ylabel=label)
        ax.tick_params(axis="x", rotation=30)
    low = min(100 * v["accuracy"] for v in variants)
    ax_acc.set_ylim(max(0, low - 5), 100)
    fig.suptitle("Experiment 1: TFLite variants of the base CNN")
    return save(fig, stem)


def pruning_sweep(rows: Sequence[Mapping], stem) -> list[str]:
    """Accuracy against the fraction of weights removed and against MACs, both methods and the baseline."""
    fig, (ax_sp, ax_macs) = plt.subplots(1, 2, figsize=(9, 3.4))
    base = next(r for r in rows if r["method"] == "baseline")
    for i, method in enumerate(PRUNING):
        pts = sorted((r for r in rows if r["method"] == method), key=lambda r: r["amount"])
        if not pts:
            continue
        removed = [r["removed_pct"] for r in pts]
        acc = [r["accuracy_pct"] for r in pts]
        err = [r["accuracy_std"] for r in pts]
        ax_sp.errorbar(removed, acc, yerr=err, fmt="o-", color=COLORS[i], capsize=3, label=method)
        ax_macs.errorbar(
            [r["macs"] / 1e6 for r in pts], acc, yerr=err, fmt="o-", color=COLORS[i], capsize=3, label=method
        )
    for ax, x in ((ax_sp, 0.0), (ax_macs, base["macs"] / 1e6)):
        ax.errorbar(
            [x], [base["accuracy_pct"]], yerr=[base["accuracy_std"]], fmt="k*", markersize=10, label="dense baseline"
        )
    ax_sp.set(xlabel="parameters removed or masked (% of the model)", ylabel="test accuracy after fine-tuning (%)")
    ax_macs.set(xlabel="MACs per image (millions)", ylabel="test accuracy after fine-tuning (%)")
    for ax in (ax_sp, ax_macs):
        accuracy_axis(ax)
    ax_macs.legend(fontsize=7)
    fig.suptitle("Experiment 2: accuracy against sparsity and compute (mean ± std over seeds)")
    return save(fig, stem)


def finetune_sweep(rows: Sequence[Mapping], stem) -> list[str]:
    """Test accuracy against fine-tuning epochs (mean ± std over seeds) of each pruning method and of the
    dense control fine-tuned as long; the deployed length is marked."""
    fig, ax = plt.subplots(figsize=(6, 3.4))
    groups: dict[tuple, dict] = {}
    for r in rows:
        groups.setdefault((r["method"], float(r["amount"])), {}).setdefault(int(r["epochs"]), []).append(
            100 * float(r["accuracy"])
        )
    deployed = sorted({int(r["epochs"]) for r in rows if str(r["deployed"]) == "True"})
    for i, ((method, amount), by_epoch) in enumerate(sorted(groups.items())):
        epochs = sorted(by_epoch)
        stats = [
            (float(np.mean(by_epoch[e])), float(np.std(by_epoch[e], ddof=1)) if len(by_epoch[e]) > 1 else 0.0)
            for e in epochs
        ]
        label = "dense control" if method == "control" else f"{method} {amount:g}"
        ax.errorbar(
            epochs,
            [m for m, _ in stats],
            yerr=[s for _, s in stats],
            fmt="k*--" if method == "control" else "o-",
            color=None if method == "control" else COLORS[i % len(COLORS)],
            capsize=3,
            label=label,
        )
    for e in deployed:
        ax.axvline(e, color="gray", linestyle=":", linewidth=1)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(xlabel="fine-tuning epochs after pruning (dotted: the deployed length)", ylabel="test accuracy (%)")
    accuracy_axis(ax)
    ax.legend(fontsize=7)
    fig.suptitle("Experiment 2: accuracy against fine-tuning length (mean ± std over seeds)")
    return save(fig, stem)


def kd_grid(rows: Sequence[Mapping], stem) -> list[str]:
    """The T x alpha grid as a heatmap of the paired KD gain (points, mean over seeds).

    With a single cell there is no grid to show: the figure says so in words (the report prints
    one sentence instead of it).
    """
    temps = sorted({float(r["temperature"]) for r in rows})
    alphas = sorted({float(r["alpha"]) for r in rows})
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    if len(rows) < 2:
        r = rows[0]
        ax.axis("off")
        ax.text(
            0.5,
            0.5,
            f"one cell: T = {float(r['temperature']):g}, alpha = {float(r['alpha']):g}\n"
            f"gain {float(r['gain_pct']):+.2f} points",
            ha="center",
            va="center",
        )
        return save(fig, stem)
    gain = np.full((len(alphas), len(temps)), np.nan)
    for r in rows:
        gain[alphas.index(float(r["alpha"])), temps.index(float(r["temperature"]))] = float(r["gain_pct"])
    limit = max(1e-9, float(np.nanmax(np.abs(gain))))
    image = ax.imshow(gain, cmap="RdBu", vmin=-limit, vmax=limit, aspect="auto", origin="lower")
    for i in range(len(alphas)):
        for j in range(len(temps)):
            if not np.isnan(gain[i, j]):
                ax.text(j, i, f"{gain[i, j]:+.1f}", ha="center", va="center", fontsize=8)
    ax.set_xticks(range(len(temps)), [f"{t:g}" for t in temps])
    ax.set_yticks(range(len(alphas)), [f"{a:g}" for a in alphas])
    ax.set(xlabel="temperature T", ylabel="alpha (soft weight)")
    fig.colorbar(image, ax=ax, label="KD gain over the student alone (points)")
    ax.set_title("Experiment 3: paired KD gain over seeds")
    return save(fig, stem)


def frontier(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The (latency, accuracy) points no other point beats on both (lower latency, higher accuracy)."""
    best, out = float("-inf"), []
    for lat, acc in sorted(points, key=lambda p: (p[0], -p[1])):
        if acc > best:
            out.append((lat, acc))
            best = acc
    return out


def pareto(
    rows: Sequence[Mapping],
    stem,
    x: str = "litert_{precision}_ms",
    scale: float = 1.0,
    xlabel: str = "LiteRT latency, batch 1 (ms, log)",
) -> list[str]:
    """Accuracy against LiteRT latency (or another cost, column ``x``), float32 and int8 per model.

    ``rows`` are deployment-table rows (model, family, accuracy_*, litert_*_ms, mib_*, memory columns);
    CIFAR-10 models and the CNN are drawn apart. Points carry no text labels (they would overlap):
    colour is the family, the marker the precision.
    """
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.8), gridspec_kw={"width_ratios": [2, 1]})
    panels = (
        ("CIFAR-10 models (ResNet-18, MobileNetV2)", [r for r in rows if r["family"] != "cnn"]),
        ("Experiment 1: CNN on Fashion-MNIST", [r for r in rows if r["family"] == "cnn"]),
    )
    families = sorted({r["family"] for r in rows})
    for ax, (title, panel) in zip(axes, panels):
        points = []
        for r in panel:
            colour = COLORS[families.index(r["family"]) % len(COLORS)]
            for precision, marker in (("float32", "o"), ("int8", "s")):
                lat, acc, mib = (
                    r.get(x.format(precision=precision)),
                    r.get(f"accuracy_{precision}"),
                    r.get(f"mib_{precision}"),
                )
                if lat in (None, "") or acc in (None, ""):
                    continue
                lat, acc = scale * float(lat), 100 * float(acc)
                points.append((lat, acc))
                ax.scatter(
                    lat,
                    acc,
                    s=20 + 8 * float(mib or 0),
                    marker=marker,
                    color=colour,
                    alpha=0.7,
                    edgecolor="k",
                    linewidth=0.4,
                )
        if points:
            edge = frontier(points)
            ax.plot([p[0] for p in edge], [p[1] for p in edge], "k--", lw=0.8)
        ax.set(xscale="log", xlabel=xlabel, ylabel="test accuracy (%)", title=title)
        if points:
            log_ticks(ax, "x")
            accuracy_axis(ax)
        ax.title.set_fontsize(9)
    return save_with_legend(fig, stem, families, bottom=0.08)


MARKERS = {"float32": "o", "int8": "s", "dynamic_range": "^", "float16": "D"}


def roofline(rows: Sequence[Mapping], roofs: Mapping, stem) -> list[str]:
    """Left: achieved MAC rate against arithmetic intensity (log-log), the measured roofs drawn, one point per
    LiteRT model and precision at batch 1 (``rows``: ``results/deployment/roofline.csv``; ``roofs``: the
    ``roofline`` entry of ``machine.json``). Right: the bandwidth sweep the memory levels come from, its
    plateaus and the cache sizes the OS reports. Without measured roofs the points are drawn alone, and
    the title says why."""
    fig, (ax, ax_sweep) = plt.subplots(1, 2, figsize=(9.5, 4.2), gridspec_kw={"width_ratios": (1.6, 1)})
    points = [r for r in rows if r["runtime"] == "litert" and int(r["batch"]) == 1]
    families = sorted({r["model"].split("/")[0] for r in points})
    xs = []
    for r in points:
        x = float(r["intensity_macs_per_byte"])
        y = float(r["macs"]) / (float(r["measured_ms"]) / 1e3) / 1e9
        xs.append(x)
        colour = COLORS[families.index(r["model"].split("/")[0]) % len(COLORS)]
        ax.scatter(
            x, y, marker=MARKERS.get(r["precision"], "x"), color=colour, alpha=0.75, edgecolor="k", linewidth=0.4, s=28
        )
    if roofs.get("status") == "measured" and xs:
        levels = levels_of(roofs)
        grid = np.logspace(np.log10(min(xs) / 3), np.log10(max(xs) * 30), 200)
        styles = {"dense": "-", "depthwise": ":"}
        peak_labels = []
        for name, peak in sorted(roofs["peak_macs_per_s"].items()):
            precision, kind = name.split("_", 1)
            for i, lv in enumerate(levels):
                ax.plot(
                    grid,
                    np.minimum(peak, lv["bandwidth_bytes_per_s"] * grid) / 1e9,
                    styles.get(kind, "--"),
                    color="0.3" if precision == "int8" else "0.6",
                    lw=0.6 + 0.3 * i,
                    alpha=0.8,
                )
            peak_labels.append(
                ax.annotate(
                    f"{precision} {kind} peak {peak / 1e9:.0f} GMAC/s",
                    (grid[-1], peak / 1e9),
                    xytext=(0, 0),
                    textcoords="offset points",
                    fontsize=6,
                    ha="right",
                    va="bottom",
                )
            )
        ax.annotate(
            ", ".join(f"{lv['name']} {lv['bandwidth_bytes_per_s'] / 1e9:.0f} GB/s" for lv in levels),
            (0.02, 0.02),
            xycoords="axes fraction",
            fontsize=7,
        )  # one label: equal slopes never overlap
        title = "Roofline of the timing job's CPU (one core), LiteRT batch 1"
        _sweep_panel(ax_sweep, roofs, levels)
    else:
        title = f"Roofs not measured: {roofs.get('reason') or 'no roofs recorded'}"
        ax_sweep.set_axis_off()
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="arithmetic intensity (MACs per byte moved, log)",
        ylabel="achieved GMAC/s (log)",
        title=title,
    )
    ax.title.set_fontsize(9)
    if xs:
        log_ticks(ax, "x")
        log_ticks(ax, "y")
    if roofs.get("status") == "measured" and xs:  # placed once the axes are final
        unoverlap(fig, sorted(peak_labels, key=lambda a: a.xy[1]))
    precisions = [p for p in MARKERS if any(r["precision"] == p for r in points)]
    return save_with_legend(fig, stem, families, bottom=0.07, precisions=precisions)


def _sweep_panel(ax, roofs: Mapping, levels: Sequence[Mapping]) -> None:
    """The streaming-read sweep (points), each level's plateau (a line over its sizes), the OS's cache sizes."""
    sweep = roofs.get("sweep") or []
    if sweep:
        ax.plot(
            [p["bytes"] / 2**20 for p in sweep],
            [p["bandwidth_bytes_per_s"] / 1e9 for p in sweep],
            "o",
            color="0.5",
            ms=3,
        )
        names = []
        for lv in levels:
            low, high = lv.get("from_bytes"), lv.get("holds_bytes") or sweep[-1]["bytes"]
            ax.plot([low / 2**20, high / 2**20], [lv["bandwidth_bytes_per_s"] / 1e9] * 2, "-", lw=2)
            names.append(
                ax.annotate(
                    lv["name"],
                    (low / 2**20, lv["bandwidth_bytes_per_s"] / 1e9),
                    xytext=(0, 1),
                    textcoords="offset points",
                    fontsize=7,
                    va="bottom",
                )
            )
        title = "Bandwidth sweep: streaming read, one core"
    else:
        title = "No sweep recorded (a record written before it)"
    for name, size in sorted(roofs.get("cache_bytes", {}).items()):
        ax.axvline(size / 2**20, color="0.6", ls=":", lw=0.8)
        ax.annotate(
            f"OS {name}",
            (size / 2**20, 0.98),
            xycoords=("data", "axes fraction"),
            fontsize=6,
            rotation=90,
            va="top",
            ha="right",
        )
    ax.set(xscale="log", yscale="log", xlabel="working set (MiB, log)", ylabel="GB/s (log)", title=title)
    ax.title.set_fontsize(9)
    if sweep:
        log_ticks(ax, "x")
        log_ticks(ax, "y")
        unoverlap(ax.figure, names)


def sweep_points(summary: Sequence[Mapping]) -> list[dict]:
    """Rows of the sweep figure: accuracy against the share of parameters removed, per method and amount.

    For masks that share is the masked weights (the model sparsity); structured pruning removes
    no single weight but whole filters, so its share is the parameters gone against the baseline's.
    """
    base = next(float(r["parameters"]) for r in summary if r["method"] == "baseline")
    return [
        {
            "method": r["method"],
            "amount": float(r["amount"]),
            "removed_pct": (
                100 * (1 - float(r["parameters"]) / base)
                if r["method"] == "structured"
                else float(r["model_sparsity_pct"])
            ),
            "accuracy_pct": float(r["accuracy_pct"]),
            "accuracy_std": float(r["accuracy_std"]),
            "macs": float(r["macs"]),
        }
        for r in summary
    ]
