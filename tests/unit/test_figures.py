"""Figures a reader can read: labelled log axes, no magnified hundredths of a point, no labels over each other."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from edgecompress.report import figures  # noqa: E402


def visible_labels(ax, axis: str = "x") -> list[str]:
    """The tick labels a reader sees on ``axis`` (of a figure already drawn): inside the view, not empty."""
    lo, hi = sorted(ax.get_xlim() if axis == "x" else ax.get_ylim())
    ticks = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
    values = ax.get_xticks() if axis == "x" else ax.get_yticks()
    return [t.get_text() for t, v in zip(ticks, values) if lo <= v <= hi and t.get_text()]


@pytest.mark.parametrize("limits", [(0.028, 0.062), (0.15, 4.7), (1e-3, 1e3), (68.1, 68.9), (3.63, 3.94)])
def test_a_log_axis_has_labelled_ticks_whatever_its_range(limits):
    fig, ax = plt.subplots()
    ax.set(xscale="log")
    ax.set_xlim(*limits)
    figures.log_ticks(ax, "x")
    fig.canvas.draw()
    labels = visible_labels(ax)
    assert len(labels) >= figures.MIN_LOG_TICKS and len(set(labels)) == len(labels), labels
    assert ax.get_xlim() == pytest.approx(limits)  # the ticks do not move the view
    plt.close(fig)


def pareto_rows(cnn_accuracy=(0.8588, 0.8579), cnn_ms=(0.059, 0.030)):
    """Deployment-table rows as the paper-config run on the Xeon wrote them: the CNN's two files 0.09 points
    and a factor of two in latency apart, the CIFAR-10 models within two decades."""
    rows = [
        {
            "model": f"{family}/seed42",
            "family": family,
            "accuracy_float32": acc,
            "accuracy_int8": acc - 0.01,
            "litert_float32_ms": ms,
            "litert_int8_ms": ms / 3,
            "mib_float32": 40,
            "mib_int8": 10,
        }
        for family, acc, ms in (("baseline", 0.99, 4.7), ("student", 0.97, 0.6), ("kd", 0.98, 0.45))
    ]
    rows.append(
        {
            "model": "cnn/seed42",
            "family": "cnn",
            "accuracy_float32": cnn_accuracy[0],
            "accuracy_int8": cnn_accuracy[1],
            "litert_float32_ms": cnn_ms[0],
            "litert_int8_ms": cnn_ms[1],
            "mib_float32": 0.4,
            "mib_int8": 0.1,
        }
    )
    return rows


@pytest.fixture
def kept(monkeypatch):
    """The figure a drawing function saves, kept open for the test instead of written."""
    drawn = []
    monkeypatch.setattr(figures, "save", lambda fig, stem: drawn.append(fig) or [])
    yield drawn
    plt.close("all")


def test_both_pareto_panels_label_their_latency_axis_and_do_not_magnify_a_tenth_of_a_point(kept):
    figures.pareto(pareto_rows(), "unused")
    kept[0].canvas.draw()
    cifar, cnn = kept[0].axes
    for ax in (cifar, cnn):
        assert len(visible_labels(ax, "x")) >= figures.MIN_LOG_TICKS, visible_labels(ax, "x")
        lo, hi = ax.get_ylim()
        assert hi - lo >= figures.ACCURACY_SPAN and hi <= 100.5
    lo, hi = cnn.get_ylim()
    assert lo <= 85.79 and 85.88 <= hi  # both points still in view


def test_an_accuracy_axis_near_100_is_widened_downwards_and_never_passes_the_ceiling():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [99.95, 100.0])
    figures.accuracy_axis(ax)
    lo, hi = ax.get_ylim()
    assert hi - lo == pytest.approx(figures.ACCURACY_SPAN) and hi <= 100.5 and lo <= 99.95
    plt.close(fig)
    fig, ax = plt.subplots()  # 98 % ± 3.7 (eight seeds of the paper-config run): the bar reaches 101.7 %
    ax.errorbar([0], [98.0], yerr=[3.7])
    figures.accuracy_axis(ax)
    lo, hi = ax.get_ylim()
    assert hi == pytest.approx(100.5) and lo <= 94.3
    plt.close(fig)


def roofs(l3_gbs=31.0, dram_gbs=13.0, depthwise_peak=18e9):
    sweep = [
        {"bytes": b, "bandwidth_bytes_per_s": bw}
        for b, bw in ((2**14, 5e10), (2**21, l3_gbs * 1e9), (2**26, dram_gbs * 1e9))
    ]
    return {
        "status": "measured",
        "peak_macs_per_s": {
            "float32_dense": 18e9,
            "float32_depthwise": depthwise_peak,
            "int8_dense": 186e9,
            "int8_depthwise": 13e9,
        },
        "levels": [
            {"name": "L2", "bandwidth_bytes_per_s": 5.5e10, "from_bytes": 2**14, "holds_bytes": 2**20},
            {"name": "L3", "bandwidth_bytes_per_s": l3_gbs * 1e9, "from_bytes": 2**20, "holds_bytes": 2**21},
            {"name": "DRAM", "bandwidth_bytes_per_s": dram_gbs * 1e9, "from_bytes": int(2**21 * 1.5)},
        ],
        "sweep": sweep,
        "cache_bytes": {"L2": 2**20, "L3": 2**25},
    }


ROOF_ROWS = [
    {
        "runtime": "litert",
        "batch": "1",
        "model": "baseline/seed42",
        "precision": "float32",
        "intensity_macs_per_byte": "0.8",
        "macs": "3.7e7",
        "measured_ms": "4.5",
    },
    {
        "runtime": "litert",
        "batch": "1",
        "model": "cnn/seed42",
        "precision": "int8",
        "intensity_macs_per_byte": "33",
        "macs": "2.4e6",
        "measured_ms": "0.03",
    },
]


def overlapping(fig, ax) -> list[tuple[str, str]]:
    """Pairs of annotations of ``ax`` (of a figure already drawn) whose boxes overlap (the rotated cache marks
    aside)."""
    renderer = fig.canvas.get_renderer()
    labels = [t for t in ax.texts if not t.get_text().startswith("OS ")]
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in labels]
    return [(a, b) for i, (a, box) in enumerate(boxes) for b, other in boxes[i + 1 :] if box.overlaps(other)]


@pytest.mark.parametrize(
    "case", [{}, {"l3_gbs": 13.0, "dram_gbs": 13.0}, {"depthwise_peak": 18e9, "l3_gbs": 13.0, "dram_gbs": 13.0}]
)
def test_roofline_labels_of_equal_values_are_not_printed_over_each_other(kept, case):
    """L3 and DRAM of one bandwidth (a VM), or two roofs of one peak: every label stays readable."""
    figures.roofline(ROOF_ROWS, roofs(**case), "unused")
    fig = kept[0]
    fig.canvas.draw()
    roof_ax, sweep_ax = fig.axes
    assert overlapping(fig, roof_ax) == [] and overlapping(fig, sweep_ax) == []
    for ax in (roof_ax, sweep_ax):
        assert len(visible_labels(ax, "x")) >= figures.MIN_LOG_TICKS and len(visible_labels(ax, "y")) >= 2


def test_without_the_fix_those_labels_would_overlap():
    """The check above can fail: two labels drawn at one point overlap until unoverlap moves one."""
    fig, ax = plt.subplots()
    ax.set(xscale="log", yscale="log", xlim=(0.1, 100), ylim=(1, 100))
    pair = [ax.annotate(n, (1, 13), xytext=(0, 1), textcoords="offset points") for n in ("L3", "DRAM")]
    fig.canvas.draw()
    assert overlapping(fig, ax) == [("L3", "DRAM")]
    figures.unoverlap(fig, pair)
    assert overlapping(fig, ax) == []
    plt.close(fig)
