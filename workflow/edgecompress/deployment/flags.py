"""Why a speed-up of the deployment table is flagged, in words: the deployment table writes the
kinds, the report prints them (without importing the runtime code that measures them)."""

UNSTRUCTURED_RANGE = (0.8, 1.25)

# why a ratio is suspect, by kind (the report groups flagged ratios by model family, column and kind)
SUSPECT_KINDS = {
    "roofline": "a latency below its roofline bound that LiteRT's benchmark tool disagrees with (two timings disagree)",
    "unstructured": (
        f"an unstructured model outside {UNSTRUCTURED_RANGE[0]}-{UNSTRUCTURED_RANGE[1]}x of its dense model"
    ),
    "operand": "divides by a latency that a flagged ratio also uses",
    "uncertain": "its 95 % interval over the timing rounds is wider than deployment.ratio_ci",
}
