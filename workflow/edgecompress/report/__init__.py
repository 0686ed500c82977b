"""The report (workflow/rules/report.smk): its context (every number from the workflow's files), the
recommendation rules, the evidence gates, the figures and the Typst rendering."""
