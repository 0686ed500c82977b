"""Config validation against the JSON schema, with messages that name the key.

``validate_config`` fills defaults (jsonschema's documented default-filling
extension) and raises :class:`ConfigError` listing every problem as
``key.path: what is wrong (what is allowed)``, after the schema and then the
cross-field checks (:func:`cross_checks`, all in one place). The key table of
``config/README.md`` is generated from the same schema by :mod:`.configdocs`.
"""

from __future__ import annotations

import copy
import math
import os
import re
from pathlib import Path

import jsonschema
import yaml

from . import modelkey, yamlfile
from .sources import file_name, sources


class ConfigError(ValueError):
    """The config does not match the schema; the message lists every problem."""


def load_schema(path: str | os.PathLike) -> dict:
    return yamlfile.read(path)


def _resolve(node: dict, schema: dict) -> dict:
    """Merge a ``$ref`` target under the node's own keys (description, default)."""
    if "$ref" not in node:
        return node
    target = schema
    for part in node["$ref"].lstrip("#/").split("/"):
        target = target[part]
    merged = dict(_resolve(target, schema))
    merged.update({k: v for k, v in node.items() if k != "$ref"})
    return merged


def _fill_defaults(validator_class, root: dict):
    """jsonschema's documented extension: a validator that sets each missing property's default.

    Objects are filled top-down, so a section defaulted to ``{}`` then gets its own keys' defaults.
    """
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for key, sub in properties.items():
                sub = _resolve(sub, root)  # a $ref points into the root schema
                if key not in instance and "default" in sub:
                    instance[key] = copy.deepcopy(sub["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


def fill_defaults(config: dict, schema: dict) -> None:
    """Set every missing key that has a default, recursively (in place); errors are left to :func:`problems`."""
    for _ in _fill_defaults(jsonschema.Draft7Validator, schema)(schema).iter_errors(config):
        pass


def _path(error: jsonschema.ValidationError) -> str:
    return ".".join(str(p) for p in error.absolute_path) or "<top level>"


def _allowed(error: jsonschema.ValidationError, schema: dict) -> str:
    node = _resolve(error.schema, schema) if isinstance(error.schema, dict) else {}
    v = error.validator
    if v == "additionalProperties":
        return "allowed keys: " + ", ".join(sorted(node.get("properties", {})))
    if v == "enum":
        return "allowed values: " + ", ".join(map(repr, node["enum"]))
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems", "type"):
        bounds = [
            f"{k} {node[k]}"
            for k in ("type", "minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum", "minItems", "maxItems")
            if k in node
        ]
        return "allowed: " + ", ".join(bounds)
    if v == "pattern":
        return (
            "must match "
            + node.get("pattern", "")
            + (f" ({node['description'].strip()})" if "description" in node else "")
        )
    if v == "anyOf" and error.validator_value and all("required" in s for s in error.validator_value):
        return "needs one of: " + ", ".join(s["required"][0] for s in error.validator_value)
    if v == "contains" and "const" in error.validator_value:
        return f"must include {error.validator_value['const']!r}"
    if v == "required":
        return "required keys: " + ", ".join(node.get("required", []))
    return ""


def _strict_integer(checker, instance) -> bool:
    """Only a real int is an integer: 2.0 (which Draft 7 accepts) and True are refused."""
    return isinstance(instance, int) and not isinstance(instance, bool)


StrictValidator = jsonschema.validators.extend(
    jsonschema.Draft7Validator,
    type_checker=jsonschema.Draft7Validator.TYPE_CHECKER.redefine("integer", _strict_integer),
)


def problems(config: dict, schema: dict) -> list[str]:
    """One line per schema violation, sorted by key path."""
    validator = StrictValidator(schema)
    lines = []
    for error in validator.iter_errors(config):
        allowed = _allowed(error, schema)
        lines.append(f"{_path(error)}: {error.message}" + (f" ({allowed})" if allowed else ""))
    return sorted(set(lines))


FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
INPUT_PX = 28  # Fashion-MNIST
# torchvision's ResNet-18: its conv and linear layers by module name (tests/unit/test_schema.py checks the list
# against the model itself), so a layer the model does not have is refused before any job runs
RESNET18_LAYERS = (
    ["conv1"]
    + [f"layer{i}.{b}.conv{c}" for i in range(1, 5) for b in (0, 1) for c in (1, 2)]
    + [f"layer{i}.0.downsample.0" for i in range(2, 5)]
    + ["fc"]
)


def non_finite(node, path: str = "") -> list[str]:
    """Every NaN or infinite number in the config (JSON Schema's bounds let them through), by key."""
    if isinstance(node, float) and not math.isfinite(node):
        return [f"{path or '<top level>'}: {node!r} is not a finite number"]
    if isinstance(node, dict):
        return [line for k, v in node.items() for line in non_finite(v, f"{path}.{k}" if path else str(k))]
    if isinstance(node, list):
        return [line for i, v in enumerate(node) for line in non_finite(v, f"{path}.{i}")]
    return []


def training_seeds(config: dict) -> list[int]:
    """Every training seed of a run (pruning and distillation), sorted: each draws its own CIFAR-10 subset
    and trains its own CNN."""
    return sorted(set(config["pruning"]["seeds"]) | set(config["distillation"]["seeds"]))


def sweep_label(value: float) -> str:
    """How a sweep value appears in paths: 0.5 -> "0.5", 4.0 -> "4", and never two values on one label.

    The short form (6 significant digits) when it reads back as the same number, else Python's
    shortest round-trip form (0.1234561 -> "0.1234561"), so distinct values get distinct labels.
    """
    short = f"{value:g}"
    return short if float(short) == float(value) else repr(float(value))


def cross_checks(config: dict, workdir: str | os.PathLike = ".") -> list[str]:
    """What JSON Schema cannot say, one line per problem naming the key (after schema validation)."""
    found = []
    d = config["distillation"]
    for key, grid in (("table_temperature", "temperatures"), ("table_alpha", "alphas")):
        if d[key] not in d[grid]:
            found.append(f"distillation.{key}: {d[key]} is not among distillation.{grid} {d[grid]}")
    sweeps = {f"pruning.{m}.amounts": config["pruning"][m]["amounts"] for m in modelkey.PRUNING_METHODS}
    sweeps.update({"distillation.temperatures": d["temperatures"], "distillation.alphas": d["alphas"]})
    for key, values in sweeps.items():
        labels = [sweep_label(v) for v in values]
        clash = sorted({label for label in labels if labels.count(label) > 1})
        if clash:
            found.append(f"{key}: values {values} share the path labels {clash}; list each value once")
    dep = config["deployment"]
    if dep["max_rounds"] < dep["rounds"]:
        found.append(
            f"deployment.max_rounds: {dep['max_rounds']} is below deployment.rounds {dep['rounds']} "
            "(the timing job runs at least `rounds` rounds)"
        )
    device_names = [dev["name"] for dev in config["devices"]]
    for name in sorted({n for n in device_names if device_names.count(n) > 1}):
        found.append(
            f"devices: the name {name!r} is given to {device_names.count(name)} device classes; "
            "names must be unique (the report's tables are keyed by them)"
        )
    compiled = dep["vela"]["accelerators"]
    for i, dev in enumerate(config["devices"]):
        if dev["hardware"] == "npu" and dev.get("npu") not in compiled:
            found.append(
                f"devices[{i}] ({dev['name']}): an npu class needs `npu`, one of deployment.vela.accelerators "
                f"{compiled} (its budgets are checked against Vela's estimates for it); got {dev.get('npu')!r}"
            )
        if dev["hardware"] == "npu" and dev["precisions"] != ["int8"]:
            found.append(f"devices[{i}] ({dev['name']}): an Ethos-U NPU runs int8 only; precisions must be [int8]")
    for key, layers in (
        ("pruning.unstructured.layers", config["pruning"]["unstructured"]["layers"]),
        ("pruning.structured.ignored_layers", config["pruning"]["structured"]["ignored_layers"]),
        ("pruning.chain.ignored_layers", config["pruning"]["chain"]["ignored_layers"]),
    ):
        unknown = [name for name in layers if name not in RESNET18_LAYERS]
        if unknown:
            found.append(
                f"{key}: ResNet-18 has no conv or linear layer {', '.join(map(repr, unknown))} "
                f"(its layers: {', '.join(RESNET18_LAYERS)})"
            )
        doubled = sorted({name for name in layers if layers.count(name) > 1})
        if doubled:
            found.append(f"{key}: {', '.join(map(repr, doubled))} listed more than once")
    names: dict[str, str] = {}
    for key, source in sources(config["data"]).items():
        name = file_name(source["url"])
        if not FILE_NAME.match(name):
            found.append(
                f"data.{key}.url: the file name {name!r} of {source['url']!r} must match {FILE_NAME.pattern} "
                "(downloads are named after it)"
            )
        elif name in names:
            found.append(f"data.{key}.url: file name {name!r} is also the file of data.{names[name]}.url")
        names.setdefault(name, key)
    q = config["quantization"]
    size = INPUT_PX
    for block, _filters in enumerate(q["conv_filters"], 1):
        after_conv = size - q["kernel_size"] + 1
        size = after_conv // 2
        if after_conv < 1 or size < 1:
            found.append(
                f"quantization.kernel_size: {q['kernel_size']} with conv_filters {q['conv_filters']} leaves "
                f"no pixels after block {block} of the {INPUT_PX} px input (conv {max(after_conv, 0)} px, "
                "then pooling halves it); use a smaller kernel_size or fewer conv blocks"
            )
            break
    mirror = config["data"]["mirror"]
    if mirror and not mirror.startswith(("http://", "https://")):
        folder = Path(mirror[len("file://") :] if mirror.startswith("file://") else mirror)
        folder = folder if folder.is_absolute() else Path(workdir) / folder
        if not folder.is_dir():
            found.append(
                f"data.mirror: folder {mirror!r} does not exist (from {Path(workdir).resolve()}); "
                "for config/test.yaml run `make fixtures` first"
            )
    return found


def check_kernel(name: str) -> None:
    """The notebooks' Jupyter kernel must exist before any job runs (else the report fails after training)."""
    try:
        from jupyter_client.kernelspec import KernelSpecManager
    except ImportError:  # no Jupyter where Snakemake runs: the report env's own check applies at job time
        return
    specs = KernelSpecManager().find_kernel_specs()
    if name not in specs:
        raise ConfigError(
            f"invalid config:\n  - report.kernel: no Jupyter kernel {name!r} is installed (found: "
            f"{', '.join(sorted(specs)) or 'none'}); `make venv` registers 'edgecompress'"
        )


def _unique_key_mapping(loader: yamlfile.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ConfigError(
                f"{node.start_mark.name}: key {key!r} appears twice in one mapping (lines "
                f"{seen[key] + 1} and {key_node.start_mark.line + 1}); YAML would silently keep "
                "the last one"
            )
        seen[key] = key_node.start_mark.line
    return yaml.constructor.SafeConstructor.construct_mapping(loader, node, deep=deep)


class UniqueKeyLoader(yamlfile.SafeLoader):
    """A safe YAML loader that refuses a key given twice in one mapping."""


UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_key_mapping)


def check_config_files(paths) -> None:
    """Read each config file again, refusing duplicated keys (Snakemake's loader keeps the last silently)."""
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            yaml.load(fh, Loader=UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass


def merge(base: dict, extra: dict) -> dict:
    """``extra`` over ``base``, recursively, as Snakemake merges ``--configfile`` files (in place)."""
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def load_config(paths, schema_path: str | os.PathLike, workdir: str | os.PathLike = ".") -> dict:
    """The config of ``paths`` exactly as the workflow sees it: deep merge, schema defaults, every check.

    For tools outside Snakemake (the benchmarks), so they accept and refuse what the workflow does.
    """
    config: dict = {}
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            merge(config, yaml.load(fh, Loader=UniqueKeyLoader) or {})  # noqa: S506 - a SafeLoader subclass
    return validate_config(config, schema_path, workdir)


def validate_config(config: dict, schema_path: str | os.PathLike, workdir: str | os.PathLike = ".") -> dict:
    """Fill defaults into ``config`` in place and validate it; raise :class:`ConfigError`.

    First the schema (types, ranges, patterns, every key), then the cross-field checks.
    """
    schema = load_schema(schema_path)
    if not isinstance(config, dict):
        raise ConfigError(f"the config must be a mapping of keys to values, got {type(config).__name__}")
    fill_defaults(config, schema)
    found = non_finite(config) or problems(config, schema) or cross_checks(config, workdir)
    if found:
        raise ConfigError(
            f"invalid config ({len(found)} problem{'s' if len(found) > 1 else ''}; schema {schema_path}):\n  - "
            + "\n  - ".join(found)
        )
    return config
