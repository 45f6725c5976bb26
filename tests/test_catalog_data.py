"""The catalog to late 2026 (issue 15): published figures with tolerances, the schema additions
(status, reading, marketed_count, layout, binary prefixes) and their errors, and `chipcalc list`."""

import pytest
from conftest import CHIP, SYSTEM, load_only
from typer.testing import CliRunner

from chipcalc.catalog.lint import hygiene_problems
from chipcalc.claims.figref import resolve
from chipcalc.cli import app

runner = CliRunner()


# -- the data: counts and published figures --------------------------------------------------------

def test_catalog_breadth(catalog):
    assert len(catalog.chips) >= 30 and len(catalog.systems) >= 15
    # every chip and system says where it stands, with a date
    for rec in [*catalog.chips.values(), *catalog.systems.values()]:
        assert rec.status is not None, rec.id
        assert rec.status.status in ("announced", "sampling", "shipping")
    roadmap = ["ascend-950pr", "ascend-950dt", "ascend-960", "ascend-970", "rubin", "rubin-ultra"]
    assert all(catalog.chip(c).status.status == "announced" for c in roadmap)


@pytest.mark.parametrize("ref,unit,value", [
    ("ascend-950dt.fp8_dense", "TFLOPS", 1000),
    ("ascend-950dt.hbm_capacity", "GB", 144),
    ("ascend-950pr.hbm_bandwidth", "TB/s", 1.6),
    ("ascend-970.hbm_bandwidth", "TB/s", 14.4),
    ("gb300.fp4_dense", "PFLOPS", 15),
    ("b300.fp8_dense", "PFLOPS", 4.5),
    ("rubin.fp4_dense", "PFLOPS", 50),
    ("mi355x.hbm_capacity", "GB", 288),
    ("tpu-v7.fp8_dense", "TFLOPS", 4614),
    ("alibaba-ppu.tdp", "W", 400),
    ("h200.fp16_dense", "TFLOPS", 989.5),
    ("h200.int8_dense", "TOPS", 1979),
    ("atlas-950-superpod.chips", "", 8192),
    ("atlas-960-superpod.chips", "", 15488),
    ("atlas-950-supercluster.chips", "", 524288),
    ("tpu-v7-pod.chips", "", 9216),
    ("vera-rubin-nvl144.chips", "", 72),
    ("vera-rubin-nvl144.dies_total", "", 144),
    ("vera-rubin-nvl144.marketed_count", "", 144),
    ("rubin-ultra-nvl576.dies_total", "", 576),
    ("atlas-950-superpod.reported.fp8_dense", "EFLOPS", 8),
    ("vera-rubin-nvl144.reported.fp8_dense", "EFLOPS", 1.2),
])
def test_published_figures(catalog, ref, unit, value):
    assert resolve(catalog, ref).m(unit) == pytest.approx(value, rel=1e-3)


def test_910b_and_910c_units_agree(catalog):
    """Both dies in decimal units: the 910B is half a 910C, not 0.537 of one."""
    b, c = catalog.chip("ascend-910b"), catalog.chip("ascend-910c")
    assert (b["hbm_capacity"].q / c["hbm_capacity"].q).m_as("") == pytest.approx(0.5)
    assert (b["hbm_bandwidth"].q / c["hbm_bandwidth"].q).m_as("") == pytest.approx(0.5)
    # msmodeling's binary reading stays visible as an alternative: 1.6 TiB/s = 1.759 TB/s
    assert b["hbm_bandwidth"].bounds("TB/s") == pytest.approx((1.6, 1.6, 1.6 * 1.024 ** 4 * 1.0), rel=1e-3)


def test_compare_910b_910c_hbm_ratio():
    r = runner.invoke(app, ["compare", "ascend-910b", "ascend-910c", "--format", "csv"])
    assert r.exit_code == 0, r.output
    import csv
    import io

    rows = {row["key"]: row for row in csv.DictReader(io.StringIO(r.output)) if row.get("table") == "compare"}
    for key in ("hbm_capacity", "hbm_bandwidth"):
        assert float(rows[key]["ascend-910b / ascend-910c"]) == pytest.approx(0.5)


def test_unstated_sparsity_is_an_assumption(catalog):
    f = catalog.chip("ascend-950dt")["fp8_dense"]
    assert f.assumed and "ascend-950dt.fp8_dense reading" in f.assumptions
    assert f.sources == ("lucaberton-atlas950",)  # the source stays
    assert not catalog.chip("gb300")["fp8_dense"].assumed  # Verda says "without sparsity"


def test_nvl144_counts_both_ways(catalog):
    """Huawei's '56.8 times more NPUs' divides packages by NVIDIA's dies; per package it is 113.8x."""
    a, v = catalog.system("atlas-950-superpod"), catalog.system("vera-rubin-nvl144")
    assert v.marketed.counts == "dies" and a.marketed.counts == "packages"
    assert a.chips.m("") / v.marketed.figure.m("") == pytest.approx(56.89, rel=1e-3)
    assert a.chips.m("") / v.chips.m("") == pytest.approx(113.8, rel=1e-3)


def test_cloudmatrix_layout(catalog):
    lay = {k: f.m("") for k, f in catalog.system("cloudmatrix384").layout.items()}
    assert lay == {"cabinets": 16, "compute_cabinets": 12, "network_cabinets": 4, "nodes": 48, "chips_per_node": 8}


def test_cluster_shows_readings_and_counts():
    r = runner.invoke(app, ["cluster", "atlas-950-superpod", "--vs", "vera-rubin-nvl144"])
    assert r.exit_code == 0, r.output
    assert "ascend-950dt.fp8_dense reading): read as dense" in r.output
    assert "rubin.fp4_dense reading): read as dense" in r.output
    assert "its headline count (144) counts dies" in r.output
    assert "compute dies" in r.output


# -- the schema rules: one-line errors naming file and field ----------------------------------------

def _problems(specdir, rel, text):
    (specdir / rel).write_text(text)
    _cat, problems = load_only(specdir)
    return [str(p) for p in problems]


STATUS = 'status = "shipping"\nstatus_date = "2025-06"\nstatus_source = "src-a"\n'


def test_status_loads(specdir):
    _problems(specdir, "chips/testchip.toml", CHIP.replace('vendor = "Test"\n', 'vendor = "Test"\n' + STATUS, 1))
    cat, problems = load_only(specdir)
    assert problems == []
    st = cat.chip("testchip").status
    assert (st.status, st.date, st.source) == ("shipping", "2025-06", "src-a")


@pytest.mark.parametrize("status,expect", [
    ('status = "rumoured"\nstatus_date = "2025-06"\n', "chips/testchip.toml: status: 'rumoured' is not one of announced, sampling, shipping"),
    ('status = "shipping"\nstatus_date = "June 2025"\n', "chips/testchip.toml: status_date: 'June 2025' is not a date like"),
    ('status = "shipping"\n', "chips/testchip.toml: status_date: missing"),
    ('status = "shipping"\nstatus_date = "2025"\nstatus_source = "nope"\n', "chips/testchip.toml: status_source: 'nope' is not in the bibliography"),
])
def test_bad_status(specdir, status, expect):
    msgs = _problems(specdir, "chips/testchip.toml", CHIP.replace('vendor = "Test"\n', 'vendor = "Test"\n' + status, 1))
    assert any(expect in m for m in msgs), msgs
    assert all("\n" not in m for m in msgs)


def test_reading_adds_assumption(specdir):
    text = CHIP.replace('[bf16_dense]\nvalue = "100 TFLOPS"\nsource = "src-a"\n', '[bf16_dense]\nvalue = "100 TFLOPS"\nsource = "src-a"\nreading = "dense: the vendor does not say; a test reading"\n', 1)
    _problems(specdir, "chips/testchip.toml", text)
    cat, problems = load_only(specdir)
    assert problems == []
    f = cat.chip("testchip")["bf16_dense"]
    assert f.assumed and f.sources == ("src-a",)
    assert [a.text for a in f.prov.assumptions] == ["read as dense: the vendor does not say; a test reading"]


@pytest.mark.parametrize("reading,expect", [
    ('"sparse: the vendor does not say, read so"', "bf16_dense.reading: reads the figure as sparse but the field is dense"),
    ('"dense"', "bf16_dense.reading: must be \"dense: <why chipcalc reads it so>\""),
    ('"maybe: something long enough here"', "bf16_dense.reading: must be"),
])
def test_bad_reading(specdir, reading, expect):
    text = CHIP.replace('[bf16_dense]\nvalue = "100 TFLOPS"\nsource = "src-a"\n', f'[bf16_dense]\nvalue = "100 TFLOPS"\nsource = "src-a"\nreading = {reading}\n', 1)
    msgs = _problems(specdir, "chips/testchip.toml", text)
    assert any("chips/testchip.toml: " in m and expect in m for m in msgs), msgs


def test_reading_only_on_compute(specdir):
    text = CHIP.replace('value = "2 TB/s"\nsource = "src-a"', 'value = "2 TB/s"\nsource = "src-a"\nreading = "dense: not a compute figure at all"', 1)
    msgs = _problems(specdir, "chips/testchip.toml", text)
    assert any("hbm_bandwidth.reading: only compute figures" in m for m in msgs), msgs


@pytest.mark.parametrize("marketed,expect", [
    ('value = "20"\ncounts = "dies"\nsource = "src-a"', None),  # 10 chips x 2 dies
    ('value = "10"\ncounts = "packages"\nsource = "src-a"', None),
    ('value = "10"\ncounts = "dies"\nsource = "src-a"', "marketed_count.value: 10 dies disagrees with 10 chips x 2 dies = 20"),
    ('value = "20"\ncounts = "gpus"\nsource = "src-a"', "marketed_count.counts: 'gpus' is not one of dies, packages"),
    ('value = "20"\ncounts = "dies"', "marketed_count: has neither source nor assumption"),
])
def test_marketed_count(specdir, marketed, expect):
    msgs = _problems(specdir, "systems/testsys.toml", SYSTEM + f"\n[marketed_count]\n{marketed}\n")
    if expect is None:
        assert msgs == []
        cat, _ = load_only(specdir)
        s = cat.system("testsys")
        assert s.dies_total().m("") == 20 and resolve(cat, "testsys.dies_total").m("") == 20
        assert resolve(cat, "testsys.marketed_count").m("") == s.marketed.figure.m("")
    else:
        assert any("systems/testsys.toml: " in m and expect in m for m in msgs), msgs


def test_layout_must_add_up(specdir):
    layout = ('\n[layout]\nnodes = { value = "3", source = "src-a" }\nchips_per_node = { value = "4", source = "src-a" }\n'
              'cabinets = { value = "2", source = "src-a" }\ncompute_cabinets = { value = "2", source = "src-a" }\n'
              'network_cabinets = { value = "1", source = "src-a" }\n')
    msgs = _problems(specdir, "systems/testsys.toml", SYSTEM + layout)
    assert any("layout.nodes: 3 nodes x 4 chips per node is not the system's 10 chips" in m for m in msgs), msgs
    assert any("layout.cabinets: 2 compute + 1 network cabinets is not 2" in m for m in msgs), msgs


def test_binary_prefix_needs_the_source_to_say_so(specdir):
    text = CHIP.replace('value = "2 TB/s"\nsource = "src-a"', 'value = "2 TiB/s"\nsource = "src-a"\ndetail = "datasheet: 2 TB/s"', 1)
    _problems(specdir, "chips/testchip.toml", text)
    cat, problems = load_only(specdir)
    assert problems == []
    lint = [str(p) for p in hygiene_problems(cat)]
    assert any("chips/testchip.toml: hbm_bandwidth: " in m and "binary prefix" in m for m in lint), lint
    ok = text.replace('detail = "datasheet: 2 TB/s"', 'detail = "bandwidth_bytes_ps=2 * (1024**4)"')
    _problems(specdir, "chips/testchip.toml", ok)
    cat, _ = load_only(specdir)
    assert not [p for p in hygiene_problems(cat) if "binary prefix" in str(p)]


def test_builtin_catalog_passes_lint(catalog):
    assert hygiene_problems(catalog) == []


# -- chipcalc list ---------------------------------------------------------------------------------

def _ids(output):
    return {line.split()[0] for line in output.splitlines()[2:] if line.strip() and not line.startswith(("-", "figure"))}


def test_list_shows_status_and_date():
    r = runner.invoke(app, ["list", "--kind", "chip", "--format", "csv"])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert "status" in lines[0] and "date" in lines[0]
    row = next(line for line in lines if ",ascend-950dt," in line)
    assert "announced" in row and "2025-09-18" in row
    assert not any(",cloudmatrix384," in line for line in lines)  # systems filtered out


def test_list_filters():
    r = runner.invoke(app, ["list", "--vendor", "huawei", "--status", "announced"])
    assert r.exit_code == 0, r.output
    ids = _ids(r.output)
    assert {"ascend-950dt", "ascend-970", "atlas-950-superpod"} <= ids
    assert "ascend-910c" not in ids and "rubin" not in ids and "Sources" not in r.output
    r = runner.invoke(app, ["list", "--kind", "system", "--vendor", "NVIDIA"])
    ids = _ids(r.output)
    assert "vera-rubin-nvl144" in ids and "h200" not in ids and "atlas-950-superpod" not in ids


@pytest.mark.parametrize("args,expect", [
    (["--status", "rumoured"], "--status must be one of announced, sampling, shipping, not 'rumoured'"),
    (["--kind", "rack"], "--kind must be 'chip' or 'system', not 'rack'"),
])
def test_list_bad_options(args, expect):
    r = runner.invoke(app, ["list", *args])
    assert r.exit_code == 2 and expect in r.output
