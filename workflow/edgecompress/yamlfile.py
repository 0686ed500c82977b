"""Reading YAML safely, with libyaml's C parser where PyYAML has it.

Every dry run reads the config schema several times; the pure-Python parser spent about a third of a
dry run's time on it. Both loaders construct the same safe types.
"""

from __future__ import annotations

import os

import yaml

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read(path: str | os.PathLike):
    """The YAML document in ``path`` (plain data only: the safe loader)."""
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=SafeLoader)  # noqa: S506 - a safe loader
