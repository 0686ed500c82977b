"""edgecompress: the logic behind the workflow that reproduces Marchuk (2025).

One module per concern; the rule scripts under ``workflow/scripts`` only read
``snakemake.input``/``params``/``log`` and call functions from here.
"""

__version__ = "0.1.0"
