"""The bottom layer: the unit registry, Figure and Provenance, number formatting, the error types.

Imports nothing else of chipcalc.
"""

#: The package version (pyproject.toml's; a test keeps the two equal).
__version__ = "0.1.0"
