"""The model key, in one place: ``structured/amount0.5/seed42``, ``kd/T4_alpha0.9/seed42``, ``baseline/seed42``.

A key names one trained PyTorch model of the run: its family (the method), the family's setting
(a pruning amount, a distillation T and alpha; none for the baseline and the student) and its seed.
This module builds keys, parses them and maps them to their family, experiment, architecture and
files; the rules (``common.smk``), the scripts, the tables, the report and the benchmarks all use
it. It imports nothing heavy, so the Snakefile and the report env can use it.
"""

from __future__ import annotations

from dataclasses import dataclass

# family -> (experiment folder under results/, architecture)
FAMILIES = {
    "baseline": ("pruning", "resnet18"),
    "unstructured": ("pruning", "resnet18"),
    "structured": ("pruning", "resnet18"),
    "chain": ("pruning", "resnet18"),
    "student": ("distillation", "mobilenet_v2"),
    "kd": ("distillation", "mobilenet_v2"),
}
PRUNING = ("unstructured", "structured")  # the paper's two methods
PRUNING_METHODS = (*PRUNING, "chain")  # every pruning method a run can configure (the chain: ours, beyond the paper)
PRECISIONS = ("float32", "int8")  # the two .tflite files every trained model is deployed as
STRUCTURED = ("structured", "chain")  # families whose filters are removed (a smaller network to rebuild)
CNN = "cnn"  # Experiment 1's CNN, the one deployed model without a seed or a PyTorch file


@dataclass(frozen=True)
class ModelKey:
    family: str
    setting: str | None  # "amount0.5", "T4_alpha0.9"; None for the baseline and the student
    seed: int

    def __str__(self) -> str:
        return "/".join(p for p in (self.family, self.setting, f"seed{self.seed}") if p)

    @property
    def config(self) -> str:
        """The key without its seed: what repeats over seeds (``structured/amount0.5``)."""
        return "/".join(p for p in (self.family, self.setting) if p)

    @property
    def experiment(self) -> str:
        return FAMILIES[self.family][0]

    @property
    def arch(self) -> str:
        return FAMILIES[self.family][1]

    @property
    def baseline(self) -> str:
        """The dense ResNet-18 of the same seed, every speed-up's denominator."""
        return str(ModelKey("baseline", None, self.seed))

    def path(self, name: str) -> str:
        """A file the key's training rule writes (``model.pt``, ``metrics.json``, ``history.csv``)."""
        return f"results/{self.experiment}/{self}/{name}"


def key(family: str, seed: int, setting: str | None = None) -> str:
    """``key("structured", 42, "amount0.5")`` -> ``structured/amount0.5/seed42``."""
    if family not in FAMILIES:
        raise ValueError(f"model family {family!r} is not one of {sorted(FAMILIES)}")
    return str(ModelKey(family, setting, int(seed)))


def parse(text: str) -> ModelKey:
    """The inverse of :func:`key`; a clear error naming the key when it is not one."""
    parts = text.split("/")
    family, last = parts[0], parts[-1]
    if family not in FAMILIES or not last.startswith("seed") or not last[4:].isdigit() or len(parts) > 3:
        raise ValueError(
            f"model key {text!r} must read <family>[/<setting>]/seed<n> with a family of {sorted(FAMILIES)}"
        )
    setting = parts[1] if len(parts) == 3 else None
    if (setting is None) != (family in ("baseline", "student")):
        raise ValueError(
            f"model key {text!r}: family {family!r} "
            + ("takes no setting" if setting else "needs a setting (amount or T and alpha)")
        )
    return ModelKey(family, setting, int(last[4:]))


def config_of(text: str) -> tuple[str, int | None]:
    """``structured/amount0.5/seed42`` -> (``structured/amount0.5``, 42); ``cnn`` -> (``cnn``, None)."""
    if text == CNN:
        return CNN, None
    k = parse(text)
    return k.config, k.seed


def family_of(text: str) -> str:
    return CNN if text == CNN else parse(text).family


def tflite_files(models, float32, int8, variants, cnn) -> dict[str, dict[str, str]]:
    """model key -> precision -> ``.tflite``: the deployed models' two files each, and the CNN's variants."""
    files = {m: {"float32": f, "int8": i} for m, f, i in zip(models, float32, int8, strict=True)}
    files[CNN] = dict(zip(variants, cnn, strict=True))
    return files
