"""Config validation against the JSON schema, with messages that name the key.

``validate_config`` fills defaults and raises :class:`ConfigError` listing every
problem as ``key.path: what is wrong (what is allowed)``. ``schema_rows`` walks
the schema for ``config/README.md``, so the documentation cannot drift from it.
"""

from __future__ import annotations

import copy
import os
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


def problems(config: dict, schema: dict) -> list[str]:
    """One line per schema violation, sorted by key path."""
    validator = jsonschema.Draft7Validator(schema)
    lines = []
    for error in validator.iter_errors(config):
        allowed = _allowed(error, schema)
        lines.append(f"{_path(error)}: {error.message}" + (f" ({allowed})" if allowed else ""))
    return sorted(set(lines))


def validate_config(config: dict, schema_path: str | os.PathLike) -> dict:
    """Fill defaults into ``config`` in place and validate it; raise :class:`ConfigError`."""
    schema = load_schema(schema_path)
    if not isinstance(config, dict):
        raise ConfigError(f"the config must be a mapping of keys to values, got {type(config).__name__}")
    fill_defaults(config, schema, schema)
    found = problems(config, schema)
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
