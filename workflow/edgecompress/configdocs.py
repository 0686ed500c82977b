"""The key table of ``config/README.md``, generated from the config's JSON schema (so it cannot drift).

python -m edgecompress.configdocs workflow/schemas/config.schema.yaml config/README.md
"""

from __future__ import annotations

from typing import Iterator

import yaml

from .config import _resolve, load_schema


def _constraint(node: dict) -> str:
    parts = []
    for key, label in (
        ("enum", "one of"),
        ("minimum", "≥"),
        ("exclusiveMinimum", ">"),
        ("maximum", "≤"),
        ("exclusiveMaximum", "<"),
        ("minItems", "items ≥"),
        ("pattern", "pattern"),
    ):
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
            kind = " or ".join(kind) if isinstance(kind, list) else kind
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
        lines += [
            "",
            'Each source object (the `object` rows whose allowed column says "needs") has these keys:',
            "",
            "| key | type | allowed | description |",
            "|---|---|---|---|",
        ]
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


if __name__ == "__main__":  # python -m edgecompress.configdocs SCHEMA README: regenerate the key table
    import sys

    schema_file, readme_file = sys.argv[1:3]
    with open(readme_file, encoding="utf-8") as fh:
        text = fh.read()
    with open(readme_file, "w", encoding="utf-8") as fh:
        fh.write(render_readme(text, load_schema(schema_file)))
