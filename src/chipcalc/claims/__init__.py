"""The claims layer: the expression language (parsed, never eval'd), figure references, judging of
comparisons and bounds, claim records and verdicts. Imports core, catalog and calc, never output or cli."""
