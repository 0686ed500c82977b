"""Config validation against the JSON schema, with messages that name the key.

``validate_config`` fills defaults and raises :class:`ConfigError` listing every
problem as ``key.path: what is wrong (what is allowed)``. ``schema_rows`` walks
the schema for ``config/README.md``, so the documentation cannot drift from it.
"""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path
from typing import Iterator

import jsonschema
import yaml


class ConfigError(ValueError):
    """The config does not match the schema; the message lists every problem."""


def load_schema(path: str | os.PathLike) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


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


def fill_defaults(config: dict, node: dict, schema: dict) -> None:
    """Set every missing key that has a default, recursively (in place)."""
    node = _resolve(node, schema)
    for key, sub in node.get("properties", {}).items():
        sub = _resolve(sub, schema)
        if key not in config and "default" in sub:
            config[key] = copy.deepcopy(sub["default"])
        if isinstance(config.get(key), dict) and sub.get("type") == "object":
            fill_defaults(config[key], sub, schema)


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
        bounds = [f"{k} {node[k]}" for k in ("type", "minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum",
                                               "minItems", "maxItems") if k in node]
        return "allowed: " + ", ".join(bounds)
    if v == "pattern":
        return "must match " + node.get("pattern", "") + (f" ({node['description'].strip()})" if "description" in node else "")
    if v == "anyOf" and error.validator_value and all("required" in s for s in error.validator_value):
        return "needs one of: " + ", ".join(s["required"][0] for s in error.validator_value)
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


def sweep_label(value: float) -> str:
    """How a sweep value appears in paths: 0.5 -> "0.5", 4.0 -> "4", and never two values on one label.

    The short form (6 significant digits) when it reads back as the same number, else Python's
    shortest round-trip form (0.1234561 -> "0.1234561"), so distinct values get distinct labels.
    """
    short = f"{value:g}"
    return short if float(short) == float(value) else repr(float(value))


def cross_checks(config: dict, workdir: str | os.PathLike = ".") -> list[str]:
    """What JSON Schema cannot say, one line per problem naming the key (after schema validation)."""
    from .sources import file_name, sources

    found = []
    if "int8" not in config["quantization"]["variants"]:
        found.append("quantization.variants: must include int8 (the paper's model and the report's tables)")
    d = config["distillation"]
    for key, grid in (("table_temperature", "temperatures"), ("table_alpha", "alphas")):
        if d[key] not in d[grid]:
            found.append(f"distillation.{key}: {d[key]} is not among distillation.{grid} {d[grid]}")
    sweeps = {f"pruning.{m}.amounts": config["pruning"][m]["amounts"] for m in ("unstructured", "structured")}
    sweeps.update({"distillation.temperatures": d["temperatures"], "distillation.alphas": d["alphas"]})
    for key, values in sweeps.items():
        labels = [sweep_label(v) for v in values]
        clash = sorted({label for label in labels if labels.count(label) > 1})
        if clash:
            found.append(f"{key}: values {values} share the path labels {clash}; list each value once")
    names: dict[str, str] = {}
    for key, source in sources(config["data"]).items():
        name = file_name(source["url"])
        if not FILE_NAME.match(name):
            found.append(f"data.{key}.url: the file name {name!r} of {source['url']!r} must match {FILE_NAME.pattern} "
                         "(downloads are named after it)")
        elif name in names:
            found.append(f"data.{key}.url: file name {name!r} is also the file of data.{names[name]}.url")
        names.setdefault(name, key)
    q = config["quantization"]
    size = INPUT_PX
    for block, _filters in enumerate(q["conv_filters"], 1):
        after_conv = size - q["kernel_size"] + 1
        size = after_conv // 2
        if after_conv < 1 or size < 1:
            found.append(f"quantization.kernel_size: {q['kernel_size']} with conv_filters {q['conv_filters']} leaves "
                         f"no pixels after block {block} of the {INPUT_PX} px input (conv {max(after_conv, 0)} px, "
                         "then pooling halves it); use a smaller kernel_size or fewer conv blocks")
            break
    mirror = config["data"]["mirror"]
    if mirror and not mirror.startswith(("http://", "https://")):
        folder = Path(mirror[len("file://"):] if mirror.startswith("file://") else mirror)
        folder = folder if folder.is_absolute() else Path(workdir) / folder
        if not folder.is_dir():
            found.append(f"data.mirror: folder {mirror!r} does not exist (from {Path(workdir).resolve()}); "
                         "for config/test.yaml run `make fixtures` first")
    return found


def check_kernel(name: str) -> None:
    """The notebooks' Jupyter kernel must exist before any job runs (else the report fails after training)."""
    try:
        from jupyter_client.kernelspec import KernelSpecManager
    except ImportError:  # no Jupyter where Snakemake runs: the report env's own check applies at job time
        return
    specs = KernelSpecManager().find_kernel_specs()
    if name not in specs:
        raise ConfigError(f"invalid config:\n  - report.kernel: no Jupyter kernel {name!r} is installed (found: "
                          f"{', '.join(sorted(specs)) or 'none'}); `make venv` registers 'edgecompress'")


def _unique_key_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ConfigError(f"{node.start_mark.name}: key {key!r} appears twice in one mapping (lines "
                              f"{seen[key] + 1} and {key_node.start_mark.line + 1}); YAML would silently keep "
                              "the last one")
        seen[key] = key_node.start_mark.line
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


class UniqueKeyLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses a key given twice in one mapping."""


UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_key_mapping)


def check_config_files(paths) -> None:
    """Read each config file again, refusing duplicated keys (Snakemake's loader keeps the last silently)."""
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            yaml.load(fh, Loader=UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass


def validate_config(config: dict, schema_path: str | os.PathLike, workdir: str | os.PathLike = ".") -> dict:
    """Fill defaults into ``config`` in place and validate it; raise :class:`ConfigError`.

    First the schema (types, ranges, patterns, every key), then the cross-field checks.
    """
    schema = load_schema(schema_path)
    if not isinstance(config, dict):
        raise ConfigError(f"the config must be a mapping of keys to values, got {type(config).__name__}")
    fill_defaults(config, schema, schema)
    found = problems(config, schema) or cross_checks(config, workdir)
    if found:
        raise ConfigError(
            f"invalid config ({len(found)} problem{'s' if len(found) > 1 else ''}; schema {schema_path}):\n  - "
            + "\n  - ".join(found)
        )
    return config


def _constraint(node: dict) -> str:
    parts = []
    for key, label in (("enum", "one of"), ("minimum", "≥"), ("exclusiveMinimum", ">"), ("maximum", "≤"),
                       ("exclusiveMaximum", "<"), ("minItems", "items ≥"), ("pattern", "pattern")):
        if key in node:
            value = ", ".join(map(str, node[key])) if key == "enum" else node[key]
            parts.append(f"{label} `{value}`" if key == "pattern" else f"{label} {value}")
    if "anyOf" in node:
        parts.append("needs " + " or ".join(s["required"][0] for s in node["anyOf"]))
    return "; ".join(parts)


def schema_rows(schema: dict) -> Iterator[tuple[str, str, str, str, str]]:
    """(key, type, allowed, default, description) of every key, depth first."""

    def walk(node: dict, prefix: str, required: list[str]) -> Iterator[tuple[str, str, str, str, str]]:
        for key, sub in node.get("properties", {}).items():
            sub = _resolve(sub, schema)
            path = f"{prefix}{key}"
            kind = sub.get("type", "")
            has_children = kind == "object" and "properties" in sub
            if "default" in sub and not (has_children and sub["default"] == {}):
                default = yaml.safe_dump(sub["default"], default_flow_style=True, width=10_000).strip()
                if default.endswith("..."):
                    default = default[:-3].strip()
            elif key in required:
                default = "required"
            else:
                default = "(per key below)" if has_children else ""
            desc = " ".join(sub.get("description", "").split())
            yield path, kind, _constraint(sub), default, desc
            if has_children and not sub.get("anyOf"):
                yield from walk(sub, path + ".", sub.get("required", []))

    yield from walk(schema, "", schema.get("required", []))


def markdown_table(schema: dict) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["| key | type | allowed | default | description |", "|---|---|---|---|---|"]
    lines += [f"| `{k}` | {t} | {cell(a)} | {cell(d)} | {cell(x)} |" for k, t, a, d, x in schema_rows(schema)]
    source = schema.get("definitions", {}).get("source")
    if source:
        lines += ["", "Each source object (the `object` rows whose allowed column says \"needs\") has these keys:", "",
                  "| key | type | allowed | description |", "|---|---|---|---|"]
        for key in source["properties"]:
            sub = _resolve(source["properties"][key], schema)
            req = " Required." if key in source.get("required", []) else ""
            desc = " ".join(sub.get("description", "").split()) + req
            lines.append(f"| `{key}` | {sub.get('type', '')} | {cell(_constraint(sub))} | {cell(desc)} |")
    return "\n".join(lines) + "\n"


BEGIN, END = "<!-- BEGIN GENERATED KEYS -->", "<!-- END GENERATED KEYS -->"


def render_readme(readme: str, schema: dict) -> str:
    """``readme`` with the table between the markers regenerated from ``schema``."""
    head, rest = readme.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{markdown_table(schema)}{END}{tail}"


if __name__ == "__main__":  # python -m edgecompress.config SCHEMA README: regenerate the key table
    import sys

    schema_file, readme_file = sys.argv[1:3]
    with open(readme_file, encoding="utf-8") as fh:
        text = fh.read()
    with open(readme_file, "w", encoding="utf-8") as fh:
        fh.write(render_readme(text, load_schema(schema_file)))
