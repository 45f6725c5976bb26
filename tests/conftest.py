"""Shared fixtures: the real catalog, and a small synthetic spec folder to break on purpose."""

from __future__ import annotations

import os
import tempfile
import textwrap
from pathlib import Path

import pytest

from chipcalc.claims.load import load

# The suite (and the commands it starts) keep their pre-parsed catalog in a folder of their own.
os.environ.setdefault("CHIPCALC_CACHE_DIR", tempfile.mkdtemp(prefix="chipcalc-test-cache-"))


def _cache_typer_commands() -> None:
    """typer's CliRunner builds the click command from the app on every invoke (~90 ms, a third of many
    CLI tests' time), and eight test modules build it again when imported. Build it once per state of the
    app: the key changes whenever a command module registers more commands, so a test never runs a stale
    command tree. Same command, same results."""
    import typer.main
    import typer.testing

    built: dict = {}
    plain = typer.testing._get_command

    def _count(app) -> int:
        return len(app.registered_commands) + sum(_count(g.typer_instance) for g in app.registered_groups)

    def cached(app):
        key = (id(app), _count(app))
        if key not in built:
            built[key] = plain(app)
        return built[key]

    typer.testing._get_command = cached
    typer.main.get_command = cached


_cache_typer_commands()


@pytest.fixture(scope="session")
def catalog():
    cat, problems = load()
    assert problems == [], problems
    return cat


SOURCES = """
[src-a]
title = "Test datasheet A"
publisher = "Test vendor"
url = "https://example.invalid/a"
date = "2025-01-01"
kind = "official"

[src-b]
title = "Test analysis B"
publisher = "Test analyst"
document = "analyst note B"
date = "2025-02"
kind = "analyst"
"""

CHIP = """
id = "testchip"
name = "Test Chip"
vendor = "Test"

[dies]
value = "2"
source = "src-a"

[bf16_dense]
value = "100 TFLOPS"
source = "src-a"
[[bf16_dense.alternatives]]
value = "120 TFLOPS"
source = "src-b"

[bf16_sparse]
value = "200 TFLOPS"
source = "src-a"

[hbm_capacity]
value = "40 GB"
per = "die"
source = "src-a"

[hbm_bandwidth]
value = "2 TB/s"
source = "src-a"

[scaleup_bandwidth]
value = "400 GB/s"
direction = "bi"
source = "src-a"

[tdp]
value = "500 W"
assumption = "no official figure; a test assumption for the arithmetic"
"""

SYSTEM = """
id = "testsys"
name = "Test System"
vendor = "Test"
chip = "testchip"

[chips]
value = "10"
source = "src-a"

[power]
value = "8 kW"
source = "src-b"

[[tier]]
name = "test scale-up"
kind = "scale-up"
size = { value = "10", source = "src-a" }
bandwidth = { value = "200 GB/s", source = "src-a" }

[[part]]
name = "CPU"
count = { value = "5", source = "src-a" }
power = { value = "200 W", assumption = "a typical server CPU, for the test" }
"""


def write_specs(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))
    return root


@pytest.fixture
def specdir(tmp_path):
    """A valid synthetic spec folder (used without the built-ins)."""
    return write_specs(tmp_path / "specs", {
        "sources.toml": SOURCES,
        "chips/testchip.toml": CHIP,
        "systems/testsys.toml": SYSTEM,
    })


def load_only(root: Path):
    return load([root], builtin=False)
