"""Issue 16 item 4: spec files that are wrong are refused with one line naming the file, the field and
what is allowed, by the same rules for the built-in catalog, user folders and --set."""

from __future__ import annotations

import textwrap

import click.testing
import pytest
import typer.main
from conftest import CHIP, SOURCES, SYSTEM, load_only, write_specs

from chipcalc.cli.root import app

CLICK = typer.main.get_command(app)
runner = click.testing.CliRunner()

MODEL = """
id = "testmodel"
name = "Test Model"
vendor = "Test"
architecture = "dense"
attention = "gqa"
params_total = { value = "70e9", source = "src-a" }
params_active = { value = "70e9", source = "src-a" }
layers = { value = "80", source = "src-a" }
hidden_size = { value = "8192", source = "src-a" }
attention_heads = { value = "64", source = "src-a" }
kv_heads = { value = "8", source = "src-a" }
head_dim = { value = "128", source = "src-a" }
vocab_size = { value = "128256", source = "src-a" }
"""


def folder(tmp_path, **changes):
    files = {"sources.toml": SOURCES, "chips/testchip.toml": CHIP, "systems/testsys.toml": SYSTEM,
             "models/testmodel.toml": MODEL}
    for rel, (old, new) in changes.items():
        rel = rel.replace("__", "/").replace("_toml", ".toml")
        text = textwrap.dedent(files.get(rel, ""))
        if old is None:
            text += "\n" + textwrap.dedent(new)
        else:
            assert old in text, (rel, old)
            text = text.replace(old, new)
        files[rel] = text
    return write_specs(tmp_path / "specs", files)


def problems_of(root):
    _, problems = load_only(root)
    return [str(p) for p in problems]


def test_the_synthetic_folder_is_clean(tmp_path):
    assert problems_of(folder(tmp_path)) == []


@pytest.mark.parametrize("change,expected", [
    ({"models__testmodel_toml": ('kv_heads = { value = "8"', 'kv_heads = { value = "128"')},
     "specs/models/testmodel.toml: kv_heads: 128 key/value heads is more than the 64 attention heads; kv_heads must be at most attention_heads"),
    ({"models__testmodel_toml": ('kv_heads = { value = "8"', 'kv_heads = { value = "7"')},
     "specs/models/testmodel.toml: kv_heads: 64 attention heads do not split into groups of 7 key/value heads; kv_heads must divide attention_heads"),
    ({"models__testmodel_toml": ('params_active = { value = "70e9"', 'params_active = { value = "80e9"')},
     "specs/models/testmodel.toml: params_active: 8e+10 active parameters is more than the 7e+10 in total; params_active must be at most params_total"),
    ({"models__testmodel_toml": ('hidden_size = { value = "8192"', 'hidden_size = { value = "8100"')},
     "specs/models/testmodel.toml: hidden_size: hidden size 8100 is not divisible by the 64 attention heads; hidden_size must be a multiple of attention_heads"),
    ({"models__testmodel_toml": (None, 'fp4_attention_bytes = { value = "3 B", source = "src-a" }')},
     "specs/models/testmodel.toml: fp4_attention_bytes: 3 B per weight is neither FP8 (1 B) nor BF16 (2 B); "
     "fp4_attention_bytes must be '1 B' or '2 B'"),
    ({"models__testmodel_toml": (None, 'fp4_attention_bytes = { value = "2 GB/s", source = "src-a" }')},
     "specs/models/testmodel.toml: fp4_attention_bytes: expected"),
    ({"models__testmodel_toml": (None, 'fp4_attention_bytes = { value = "2 B", source = "src-a" }')}, None),
    ({"systems__testsys_toml": ('value = "8 kW"', 'value = "1 kW"')},
     "specs/systems/testsys.toml: power: all-in power 1 kW is below its chips' total TDP (10 x 500 W = 5 kW); "
     "the all-in power must include the chips (is it per node, or in the wrong unit?)"),
    ({"systems__testsys_toml": ('value = "8 kW"', 'value = "8 W"\nhigh = "9 kW"')},  # a range's low end counts too
     "specs/systems/testsys.toml: power: all-in power 8 W is below its chips' total TDP (10 x 500 W = 5000 W)"),
    ({"sources_toml": ('date = "2025-01-01"', 'date = "2025-13-45"')},
     "specs/sources.toml: src-a.date: '2025-13-45' is not a date; write YYYY, YYYY-MM or YYYY-MM-DD (e.g. 2025-04-16)"),
    ({"sources_toml": ('url = "https://example.invalid/a"', 'url = "not a url"')},
     "specs/sources.toml: src-a.url: 'not a url' is not a URL; write https://host/path"),
    ({"assumptions_toml": (None, '[mfu]\nvalue = "2"\nassumption = "a test assumption that is out of range"\n')},
     "specs/assumptions.toml: mfu: '2' must be a fraction in (0, 1]"),
    ({"assumptions_toml": (None, '[mfu]\nvalue = "2 W"\nassumption = "a test assumption of the wrong dimension"\n')},
     "specs/assumptions.toml: mfu: expected a fraction like '0.5', got '2 W'"),
    ({"assumptions_toml": (None, '[layer_overhead]\nvalue = "20 GB"\nassumption = "a test assumption of the wrong dimension"\n')},
     "specs/assumptions.toml: layer_overhead: expected a time like '1.2 us', got '20 GB'"),
    ({"assumptions_toml": (None, '[layer_overhead]\nvalue = "20 us"\nhigh = "20 s"\nassumption = "a test assumption with a high end out of range"\n')},
     "specs/assumptions.toml: layer_overhead: high 2e+04 ms is out of range; layer_overhead must be a time in (0, 10 ms]"),
    ({"assumptions_toml": (None, '[mfuu]\nvalue = "0.5"\nassumption = "a misspelled assumption name for the test"\n')},
     "specs/assumptions.toml: mfuu: unknown assumption; did you mean 'mfu'?"),
    ({"assumptions_toml": (None, '[mfu]\nvalue = "60 %"\nassumption = "a percentage is a fraction too, for the test"\n')}, None),
])
def test_each_rule_names_file_field_and_what_is_allowed(tmp_path, change, expected):
    got = problems_of(folder(tmp_path, **change))
    if expected is None:
        assert got == []
        return
    assert len(got) == 1, got
    assert got[0].startswith(expected), got[0]
    assert "\n" not in got[0]


def test_a_system_without_tiers_is_not_silent(tmp_path):
    # a source may give no interconnect (the figure is then absent): validate says so, without failing
    root = folder(tmp_path)
    text = (root / "systems/testsys.toml").read_text()
    text = text[:text.index("[[tier]]")] + text[text.index("[[part]]"):]
    (root / "systems/testsys.toml").write_text(text)
    assert problems_of(root) == []
    r = runner.invoke(CLICK, ["validate", str(root), "--no-builtin"])
    assert r.exit_code == 0, r.stderr
    assert r.stderr.strip() == ("warning: specs/systems/testsys.toml: tier: 10 chips and no [[tier]] connecting them: "
                                "tensor and expert parallelism across chips cannot be modelled; add the scale-up tier "
                                "(kind, size, bandwidth) when a source gives it")


def test_huge_dies_do_not_overflow_into_inf(tmp_path):
    # found by the loader fuzzer: dies = 4.5e306 x 40 GB per die was inf GB, and accepted
    # and any value beyond core.units.SI_LIMIT: a count of 1e55 dies passes, 40 GB per die then does not
    root = folder(tmp_path, chips__testchip_toml=('[dies]\nvalue = "2"', '[dies]\nvalue = "1e307"'))
    got = problems_of(root)
    assert any("dies: '1e307' is too large to compute with; check the number and its unit" in p for p in got), got
    root = folder(tmp_path / "b", chips__testchip_toml=('[dies]\nvalue = "2"', '[dies]\nvalue = "1e55"'))
    got = problems_of(root)
    assert any("hbm_capacity: '40 GB' gives a value too large to compute with" in p for p in got), got


@pytest.mark.parametrize("text,msg", [
    ('[mfu]\nvalue = "2"\nassumption = "a user assumption that is out of range"\n', "mfu: '2' must be a fraction in (0, 1]"),
    ('[mfu]\nvalue = "2 W"\nassumption = "a user assumption of the wrong dimension"\n', "mfu: expected a fraction"),
    ('[layer_overhead]\nvalue = "20 GB"\nassumption = "a user assumption of the wrong dimension"\n', "layer_overhead: expected a time"),
    ('[mfuu]\nvalue = "0.5"\nassumption = "a misspelled user assumption name"\n', "mfuu: unknown assumption; did you mean 'mfu'?"),
])
def test_user_assumption_files_fail_validate_and_every_command(tmp_path, text, msg):
    user = tmp_path / "mine"
    user.mkdir()
    (user / "assumptions.toml").write_text(text)
    r = runner.invoke(CLICK, ["validate", str(user)])
    assert r.exit_code == 1 and msg in r.stderr, r.stderr
    r = runner.invoke(CLICK, ["latency", "hgx-h20", "llama-3.1-70b", "--specs", str(user)])
    assert r.exit_code == 1, (r.exit_code, r.stderr)  # a data error, never exit 3 or a number
    assert msg in r.stderr and r.stdout == ""


@pytest.mark.parametrize("setting,msg", [
    ("mfu=2", "--set mfu: '2' must be a fraction in (0, 1]"),
    ("layer_overhead=20GB", "--set layer_overhead: expected a value like '20us', got '20GB'"),
    ("fp8_attention_speedup=2GB", "--set fp8_attention_speedup: expected a value like '1.7', got '2GB'"),
    ("layer_overhead=2s", "--set layer_overhead=2s: value 2000 ms is out of range; layer_overhead must be a time in (0, 10 ms]"),
    ("llama-3.1-70b.kv_heads=100", "llama-3.1-70b.kv_heads: 100 key/value heads is more than the 64 attention heads"),
    ("llama-3.1-70b.params_active=1e12", "llama-3.1-70b.params_active: 1e+12 active parameters is more than the 7e+10 in total"),
    ("hgx-h20.power=1kW", "hgx-h20.power: all-in power 1 kW is below its chips' total TDP (8 x 400 W = 3.2 kW)"),
    ("h20.tdp=5kW", "hgx-h20.power: all-in power"),
])
def test_set_is_checked_by_the_same_rules(setting, msg):
    r = runner.invoke(CLICK, ["latency", "hgx-h20", "llama-3.1-70b", "--set", setting])
    assert r.exit_code == 2, (r.exit_code, r.stderr)
    assert msg in r.stderr, r.stderr


def test_set_of_a_model_with_a_dot_in_its_id_is_found():
    # 'llama-3.1-70b.kv_heads' used to split at the first dot ('llama-3') and be unknown
    r = runner.invoke(CLICK, ["latency", "hgx-h20", "llama-3.1-70b", "--set", "llama-3.1-70b.kv_heads=16"])
    assert r.exit_code == 0, r.stderr
    assert "user override --set llama-3.1-70b.kv_heads=16 (catalog value: 8)" in r.stdout
