"""The command line: the typer app and one module per command group (parsing and printing only)."""

from chipcalc.cli.root import app, main

__all__ = ["app", "main"]
