"""The pre-parsed catalog cache never serves stale data and never gets in the way (issue 12)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chipcalc.catalog import cache, store
from chipcalc.claims import load as claims_load

ROOT = Path(__file__).resolve().parents[1]
CHIP = ROOT / "specs" / "chips" / "h20.toml"


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    """An empty cache folder and no per-process memo."""
    d = tmp_path / "cache"
    monkeypatch.setenv("CHIPCALC_CACHE_DIR", str(d))
    monkeypatch.delenv("CHIPCALC_NO_CACHE", raising=False)
    store._load_cached.cache_clear()
    claims_load._load_cached.cache_clear()
    yield d
    store._load_cached.cache_clear()
    claims_load._load_cached.cache_clear()


def load(specs=None):
    store._load_cached.cache_clear()
    return store.load_checked(specs, claims=False)


def user_folder(tmp_path, tdp="400 W"):
    root = tmp_path / "mine" / "chips"
    root.mkdir(parents=True, exist_ok=True)
    text = CHIP.read_text().replace('id = "h20"', 'id = "h20x"').replace('name = "', 'name = "Test ', 1)
    import re

    text = re.sub(r'(\[tdp\]\nvalue = )"[^"]*"', f'\\1"{tdp}"', text)
    (root / "h20x.toml").write_text(text)
    return root.parent


def test_a_second_run_reads_the_cache(fresh):
    a = load()
    files = list(fresh.glob("*.pickle"))
    assert len(files) == 1
    b = load()
    assert b is not a and b.chip("h20").get("tdp").m("W") == a.chip("h20").get("tdp").m("W")


def test_an_edited_user_spec_is_seen(fresh, tmp_path):
    mine = user_folder(tmp_path, "400 W")
    assert load([mine]).chip("h20x").get("tdp").m("W") == 400
    user_folder(tmp_path, "450 W")
    assert load([mine]).chip("h20x").get("tdp").m("W") == 450
    assert len(list(fresh.glob("*.pickle"))) == 2


def test_a_file_added_where_it_would_not_be_read_is_seen(fresh, tmp_path):
    """A cached load of a user folder is not served once a misplaced spec file appears in it (top level,
    a misspelt folder, a known folder's sub-folder): the next load reports it."""
    from chipcalc.core.errors import SpecError

    mine = user_folder(tmp_path)
    load([mine])
    for where in ("h20y.toml", "chip/h20y.toml", "chips/nvidia/h20y.toml"):
        (mine / where).parent.mkdir(parents=True, exist_ok=True)
        (mine / where).write_text('id = "h20y"\n')
        with pytest.raises(SpecError, match="not read"):
            load([mine])
        (mine / where).unlink()
    assert load([mine]).chip("h20x") is not None


def test_an_edited_builtin_spec_is_seen(fresh, tmp_path, monkeypatch):
    copy = tmp_path / "specs"
    shutil.copytree(ROOT / "specs", copy)
    monkeypatch.setattr(store, "builtin_specs_dir", lambda: copy)
    monkeypatch.setattr("chipcalc.catalog.read.builtin_specs_dir", lambda: copy)
    before = load().chip("h20").get("hbm_capacity").m("GB")
    f = copy / "chips" / "h20.toml"
    text = f.read_text()
    f.write_text(text.replace(f'"{before:g} GB"', f'"{before + 1:g} GB"', 1))
    assert load().chip("h20").get("hbm_capacity").m("GB") == before + 1


def test_the_claims_load_sees_changes_too(fresh, tmp_path):
    mine = user_folder(tmp_path, "400 W")
    claims_load._load_cached.cache_clear()
    assert claims_load.load_checked([mine]).chip("h20x").get("tdp").m("W") == 400
    user_folder(tmp_path, "410 W")
    claims_load._load_cached.cache_clear()
    assert claims_load.load_checked([mine]).chip("h20x").get("tdp").m("W") == 410


@pytest.mark.parametrize("damage", [b"", b"not a pickle", None])
def test_a_corrupt_or_truncated_file_is_rebuilt(fresh, damage):
    load()
    (f,) = fresh.glob("*.pickle")
    good = f.read_bytes()
    f.write_bytes(good[: len(good) // 2] if damage is None else damage)
    assert load().chip("h20").get("hbm_bandwidth").m("TB/s") == pytest.approx(4.0)
    assert f.read_bytes() == good  # rewritten whole


def test_an_unwritable_cache_folder_is_no_error(tmp_path, monkeypatch, fresh):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("CHIPCALC_CACHE_DIR", str(blocker / "cache"))  # a folder inside a file: cannot exist
    assert load().chip("h20").id == "h20"


@pytest.mark.parametrize("value, off", [("1", True), ("yes", True), ("0", False), ("false", False), ("", False)])
def test_no_cache_when_asked(fresh, monkeypatch, value, off):
    """CHIPCALC_NO_CACHE=1 (or any other true value) turns the cache off; 0, false or empty leave it on."""
    monkeypatch.setenv("CHIPCALC_NO_CACHE", value)
    load()
    written = fresh.exists() and bool(list(fresh.glob("*.pickle")))
    assert written is not off


def test_two_first_runs_at_once(tmp_path):
    env = {**os.environ, "CHIPCALC_CACHE_DIR": str(tmp_path / "c")}
    cmd = [sys.executable, "-m", "chipcalc", "cluster", "cloudmatrix384"]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert outs[0][0] == outs[1][0] and "288.8" in outs[0][0]
    assert len(list((tmp_path / "c").glob("*.pickle"))) == 1
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and again.stdout == outs[0][0]


def test_the_key_covers_every_file(tmp_path):
    root = tmp_path / "s"
    (root / "chips").mkdir(parents=True)
    (root / "chips" / "a.toml").write_text("x")
    k1 = cache.key("k", [root])
    (root / "chips" / "a.toml").write_text("y")
    k2 = cache.key("k", [root])
    (root / "new.toml").write_text("")
    k3 = cache.key("k", [root])
    (root / "chips" / "vendor").mkdir()
    (root / "chips" / "vendor" / "b.toml").write_text("")
    k4 = cache.key("k", [root])
    assert len({k1, k2, k3, k4}) == 4


def _user_claim(tmp_path, watts: str) -> Path:
    root = tmp_path / "claimspec" / "claims"
    root.mkdir(parents=True, exist_ok=True)
    (root / "mine-h100-watts.toml").write_text(
        'id = "mine-h100-watts"\ntitle = "An H100 SXM draws a given power"\nwords = "test claim"\n'
        'source = "kocka-910c-power"\ndetail = "a test"\nkind = "comparison"\n'
        f'assert = "h100-sxm.tdp == {watts}"\ntolerance = "5 %"\n')
    return root.parent


def test_cached_verdicts_see_an_edited_claim_and_never_serve_a_what_if(fresh, tmp_path):
    """`chipcalc check` reads the claims' verdicts from the cache: editing a claim file changes the verdict at
    the next run, and a --set what-if is judged afresh, never from the cache."""
    from typer.testing import CliRunner

    from chipcalc.cli import app

    runner = CliRunner()
    mine = _user_claim(tmp_path, "700 W")

    def verdict_line(*extra):
        store._load_cached.cache_clear()
        claims_load._load_cached.cache_clear()
        r = runner.invoke(app, ["check", "--specs", str(mine), *extra])
        assert r.exit_code == 0, r.stderr
        return next(line for line in r.stdout.splitlines() if "mine-h100-watts" in line)

    assert "consistent" in verdict_line() and "contradicted" not in verdict_line()
    assert any(f.name.startswith("verdicts-") for f in fresh.glob("*.pickle"))  # the second run read it
    _user_claim(tmp_path, "300 W")
    assert "contradicted" in verdict_line()  # the edit is seen
    assert "consistent" in verdict_line("--set", "h100-sxm.tdp=300W")  # a what-if is judged afresh
    assert "contradicted" in verdict_line()  # and does not poison the cache


def test_every_quantity_comes_back_equal_with_the_same_units(fresh, monkeypatch):
    """The cache stores quantities as magnitude + unit pairs: read back, every figure of every chip and
    system equals the parsed one, in the same units (TB stays TB, TiB stays TiB), with its provenance."""
    import pint

    monkeypatch.setenv("CHIPCALC_NO_CACHE", "1")
    parsed = load()
    monkeypatch.delenv("CHIPCALC_NO_CACHE")
    load()  # writes the cache
    cached = load()  # reads it
    assert list(fresh.glob("*.pickle"))
    seen = 0
    for cid, chip in parsed.chips.items():
        for name, fig in chip.figures.items():
            back = cached.chips[cid].figures[name]
            assert isinstance(back.q, pint.Quantity) and back.q.units == fig.q.units, (cid, name)
            # built as pint builds it: the same class and attributes (pint memoizes _dimensionality on use)
            assert type(back.q) is type(fig.q) and {'_magnitude', '_units'} <= vars(back.q).keys() <= vars(fig.q).keys() | {'_dimensionality'}, (cid, name)
            assert back.q.magnitude == fig.q.magnitude and back.prov == fig.prov, (cid, name)
            assert (back.low, back.high) == (fig.low, fig.high), (cid, name)
            seen += 1
    assert seen > 150  # every figure of 31 chips
    assert cached.system("cloudmatrix384").total("bf16_dense").m("PFLOPS") == pytest.approx(288.768)
    assert (cached.chip("h20").get("hbm_capacity").q * 1).to("GB").magnitude == pytest.approx(96)


def test_commands_reading_the_cache_in_a_fresh_process_work(tmp_path):
    """A quantity read back from the cache in a new process must be usable before anything else parsed its
    unit: a prefixed unit (gigabyte) exists in pint's registry only once parsed (a regression: `chipcalc
    validate` ended in exit 3, KeyError 'gigabyte', on a warm cache)."""
    env = {**os.environ, "CHIPCALC_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("CHIPCALC_NO_CACHE", None)
    run = lambda *a: subprocess.run([sys.executable, "-m", "chipcalc", *a], capture_output=True, text=True, env=env)  # noqa: E731
    first = run("validate")
    assert first.returncode == 0, first.stderr
    assert list((tmp_path / "cache").glob("*.pickle"))
    for args in (["validate"], ["chip", "h20"], ["list", "--kind", "chip"], ["supply", "ascend-910c", "--year", "2025"]):
        r = run(*args)
        assert r.returncode == 0, (args, r.stderr[-300:])
        assert "internal error" not in r.stderr
        if args == ["validate"]:  # the warm-cache run says what the run that built the cache said
            assert r.stdout == first.stdout
