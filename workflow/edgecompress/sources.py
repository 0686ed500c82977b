"""The downloadable sources of the config: their file names, and where each one is fetched from.

A download is defined by its checksums, not by its location: the rule's output is named after the
official file name, and the location (URL or mirror) is looked up here when the job runs, so a
changed mirror or URL re-plans nothing while the checksums stay the same.

Where a source comes from: a URL the user set explicitly (one that differs from the official URL,
the schema's default) is fetched from that URL; ``data.mirror`` replaces the host of the sources
left at their official URL.
"""

from __future__ import annotations

import os
import urllib.parse
from pathlib import Path
from typing import Mapping, NamedTuple


class Location(NamedTuple):
    source: str  # what is fetched: a URL, a file:// URL or a path
    mirror: str | None  # the mirror it lies under, None when fetched from its own URL
    why: str  # one phrase for the log: which config key chose it


def file_name(url: str) -> str:
    return Path(urllib.parse.urlparse(url).path).name


def sources(data: Mapping) -> dict[str, Mapping]:
    """Every downloadable file of ``data`` (the config's ``data`` section), by key (``fashion_mnist.train_images``)."""
    found = {f"fashion_mnist.{k}": v for k, v in data["fashion_mnist"].items()}
    found["cifar10.archive"] = data["cifar10"]["archive"]
    found.update({f"weights.{k}": v for k, v in data["weights"].items()})
    return found


def official_sources(schema_path: str | os.PathLike) -> dict[str, Mapping]:
    """Every source as the publisher gives it (URL and checksums): the schema's defaults, by key."""
    from . import yamlfile  # the schema is plain YAML; no jsonschema needed to read its defaults

    data = yamlfile.read(schema_path)["properties"]["data"]["properties"]
    return sources(
        {
            section: {k: v["default"] for k, v in data[section]["properties"].items()}
            for section in ("fashion_mnist", "cifar10", "weights")
        }
    )


def official_urls(schema_path: str | os.PathLike) -> dict[str, str]:
    """The published URL of every source, by key."""
    return {key: source["url"] for key, source in official_sources(schema_path).items()}


def locate(key: str, url: str, mirror: str, official_url: str) -> Location:
    """Where source ``key`` (configured ``url``) is fetched from, given ``data.mirror`` and its official URL."""
    if url != official_url:
        why = f"data.{key}.url set explicitly" + (
            f" (data.mirror {mirror!r} applies only to official URLs)" if mirror else ""
        )
        return Location(url, None, why)
    if mirror:
        return Location(mirror.rstrip("/") + "/" + file_name(url), mirror, "data.mirror")
    return Location(url, None, "official URL")


LOCATION_KEYS = ("mirror", "retries", "backoff_seconds", "timeout_seconds", "max_download_mib")


def checksums(source: Mapping) -> dict:
    """What defines a source's file: its checksums (not its URL, nor ``bytes``, a download's cut-off)."""
    return {k: v for k, v in source.items() if k not in ("url", "bytes")}


def without_locations(config: Mapping) -> dict:
    """``config`` less where and how files are fetched (mirror, URLs, retries, timeouts).

    What a result depends on is the data's checksums, not the place it came from: a rule that
    takes the config as a parameter takes this, so a new mirror or URL re-plans nothing.
    """
    import copy

    out = copy.deepcopy(dict(config))
    data = out.get("data", {})
    for key in LOCATION_KEYS:
        data.pop(key, None)
    for source in sources(data).values():
        source.pop("url", None)
        source.pop("bytes", None)  # a cut-off for the download: the checksums define the file
    return out


def official_checksums(schema_path: str | os.PathLike) -> tuple[dict, dict]:
    """The publishers' checksums as the schema's defaults pin them (whatever the config overrides):
    Fashion-MNIST's sha256 by file name and the weights' sha256 prefixes; CIFAR-10's md5."""
    official = official_sources(schema_path)
    fashion = {file_name(s["url"]): s["sha256"] for k, s in official.items() if k.startswith("fashion_mnist.")}
    weights = {k.split(".", 1)[1]: s["sha256_prefix"] for k, s in official.items() if k.startswith("weights.")}
    return {"fashion_mnist": fashion, "weights": weights}, {"cifar10": official["cifar10.archive"]["md5"]}
