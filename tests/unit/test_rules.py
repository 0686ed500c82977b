"""Static checks of the rule files and the cluster profiles (no Snakemake run: part of `make test-fast`)."""

import re

import pytest
import yaml

from helpers import REPO

RESOURCE_KEYS = {"mem_mb", "mem", "mem_mib", "runtime", "time"}


def profile_resource_keys(value) -> set[str]:
    """Keys of a profile's default-resources (a mapping or a list of "key=value" strings)."""
    if isinstance(value, dict):
        return set(value)
    return {str(item).split("=", 1)[0].strip() for item in value or []}


@pytest.mark.parametrize("profile", sorted(p.parent.name for p in (REPO / "profiles").glob("*/config.yaml")))
def test_profiles_hold_only_cluster_keys(profile):
    cfg = yaml.safe_load((REPO / "profiles" / profile / "config.yaml").read_text())
    repeated = profile_resource_keys(cfg.get("default-resources")) & RESOURCE_KEYS
    for rule, resources in (cfg.get("set-resources") or {}).items():
        repeated |= {f"{rule}.{k}" for k in resources if k in RESOURCE_KEYS}
    assert not repeated, f"profiles/{profile} repeats resources that the rules declare: {sorted(repeated)}"


def test_every_rule_declares_its_memory_and_runtime():
    for smk in (REPO / "workflow" / "rules").glob("*.smk"):
        for block in re.split(r"\n(?=rule \w+:)", smk.read_text())[1:]:
            name = block.split(":", 1)[0].split()[1]
            if name == "all" or "\n    script:" not in block and "\n    shell:" not in block:
                continue
            assert "mem_mb=" in block and "runtime=" in block, f"{smk.name}: rule {name} lacks mem_mb or runtime"
            assert "# sized from" in block.lower(), f"{smk.name}: rule {name} does not name the run it was sized from"
