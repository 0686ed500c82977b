"""Rule render_report: the Typst source of the report, from the workflow's tables and metrics."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821 - set by Snakemake
sys.path.insert(0, snakemake.scriptdir + "/..")  # noqa: F821

from edgecompress.config import load_schema  # noqa: E402
from edgecompress.logs import setup_logging  # noqa: E402
from edgecompress.render import render  # noqa: E402
from edgecompress.reportdata import build_context  # noqa: E402


def official_checksums(schema_path):
    """The publishers' checksums, as pinned by the schema's defaults (whatever the config overrides)."""
    data = load_schema(schema_path)["properties"]["data"]["properties"]
    fashion = {src["default"]["url"].rsplit("/", 1)[-1]: src["default"]["sha256"]
               for src in data["fashion_mnist"]["properties"].values()}
    weights = {arch: src["default"]["sha256_prefix"] for arch, src in data["weights"]["properties"].items()}
    return {"fashion_mnist": fashion, "weights": weights}, {"cifar10": data["cifar10"]["properties"]["archive"]["default"]["md5"]}


def main(inputs, template, schema, config, out):
    log = setup_logging()
    sha, md5 = official_checksums(schema)
    context = build_context(inputs, config, {}, sha, md5)
    render(template, context, out)
    log.info("rendered %s", out)


inputs = {k: (v[0] if isinstance(v, list) else v) for k, v in snakemake.input.items()}  # noqa: F821
main(inputs, snakemake.input.template, snakemake.input.schema, dict(snakemake.params.config),  # noqa: F821
     snakemake.output.typst)  # noqa: F821
