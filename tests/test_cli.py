"""The CLI as a user runs it: real catalog, outputs, errors (one line, exit code, no traceback)."""

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from chipcalc.cli.root import app

runner = CliRunner()


def run(*args, env=None):
    return runner.invoke(app, list(args), env=env)


def test_list():
    r = run("list")
    assert r.exit_code == 0
    for name in ("ascend-910c", "h20", "cloudmatrix384", "gb200-nvl72", "cm384-paper"):
        assert name in r.stdout


def test_chip_sheet_shows_sources_and_assumptions():
    r = run("chip", "ascend-910c")
    assert r.exit_code == 0, r.stderr
    assert "752 [707.8–780]" in r.stdout  # nominal and the range across sources
    assert "alternative" in r.stdout
    assert "ASSUMPTION (ascend-910c.tdp)" in r.stdout
    assert "arxiv.org/abs/2506.12708" in r.stdout


def test_chip_per_die():
    r = run("chip", "ascend-910c", "--per", "die", "-f", "json")
    data = json.loads(r.stdout)
    rows = {row["key"]: row for row in data["tables"][0]["rows"]}
    assert rows["bf16_dense"]["cells"]["value"]["value"] == pytest.approx(376)
    assert rows["hbm_capacity"]["cells"]["value"]["value"] == pytest.approx(64)


def test_compare_two_has_ratio():
    r = run("compare", "ascend-910c", "h20", "-f", "json")
    data = json.loads(r.stdout)
    t = data["tables"][0]
    assert t["columns"] == ["ascend-910c", "h20", "ascend-910c / h20"]
    rows = {row["key"]: row for row in t["rows"]}
    assert rows["bf16_dense"]["cells"]["ascend-910c / h20"]["value"] == pytest.approx(752 / 148)
    assert rows["fp8_dense"]["cells"]["ascend-910c"] is None  # no FP8 on the 910C: never mixed with INT8


def test_cluster_default_output():
    r = run("cluster", "cloudmatrix384")
    assert r.exit_code == 0, r.stderr
    assert "288.8" in r.stdout and "559" in r.stdout
    assert "ASSUMPTION" in r.stdout


def test_cluster_vs_json_carries_provenance():
    r = run("cluster", "cloudmatrix384", "--vs", "gb200-nvl72", "-f", "json")
    data = json.loads(r.stdout)
    sys_t = next(t for t in data["tables"] if t["key"] == "cluster.system")
    rows = {row["key"]: row for row in sys_t["rows"]}
    bf16 = rows["bf16_dense_total"]["cells"]
    assert bf16["cloudmatrix384"]["value"] == pytest.approx(288.768)
    assert bf16["cloudmatrix384"]["unit"] == "PFLOPS"
    assert bf16["ratio"]["value"] == pytest.approx(288.768 / 180)
    assert {s["id"] for s in bf16["cloudmatrix384"]["sources"]} >= {"cm384-paper"}
    acc = rows["power_accelerators"]["cells"]["cloudmatrix384"]
    assert acc["status"] == "assumed" and acc["assumptions"][0]["name"] == "ascend-910c.tdp"
    assert rows["power_reported"]["cells"]["cloudmatrix384"]["status"] == "sourced"
    assert "cm384-paper" in data["sources"]


@pytest.mark.parametrize("fmt,needle", [
    ("github", "| figure"), ("plain", "figure"), ("latex", "\\toprule"), ("html", "<table>"), ("grid", "+===")])
def test_text_formats(fmt, needle):
    r = run("compare", "ascend-910c", "h20", "--format", fmt)
    assert r.exit_code == 0, r.stderr
    assert needle in r.stdout


def test_csv_export_round_trips(tmp_path):
    out = tmp_path / "cmp.csv"
    r = run("compare", "ascend-910c", "h20", "--format", "csv", "--output", str(out))
    assert r.exit_code == 0, r.stderr
    assert "wrote" in r.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    by_key = {row["key"]: row for row in rows}
    assert float(by_key["bf16_dense"]["ascend-910c"]) == pytest.approx(752)
    assert float(by_key["bf16_dense"]["h20"]) == pytest.approx(148)
    # a unit per value column: the row's unit over the figures, none over the unitless ratio
    assert by_key["bf16_dense"]["ascend-910c unit"] == by_key["bf16_dense"]["h20 unit"] == "TFLOPS"
    ratio = "ascend-910c / h20"
    assert float(by_key["bf16_dense"][ratio]) == pytest.approx(752 / 148) and by_key["bf16_dense"][f"{ratio} unit"] == ""
    assert float(by_key["hbm_bandwidth"]["h20"]) == pytest.approx(4.0)
    assert by_key["tdp"]["ascend-910c basis"].startswith("assumed")
    assert by_key["tdp"]["h20 basis"].startswith("sourced")


def test_json_export_round_trips_through_pint(tmp_path):
    from chipcalc.core.units import Q

    out = tmp_path / "c.json"
    assert run("cluster", "cloudmatrix384", "-o", str(out)).exit_code == 0
    data = json.loads(out.read_text())
    cell = next(r for t in data["tables"] for r in t["rows"] if r["key"] == "hbm_capacity_total")["cells"]["cloudmatrix384"]
    assert Q(cell["value"], cell["unit"]).m_as("GB") == pytest.approx(384 * 128)


def test_output_refuses_to_clobber(tmp_path):
    out = tmp_path / "cmp.csv"
    out.write_text("precious")
    r = run("compare", "ascend-910c", "h20", "-o", str(out))
    assert r.exit_code == 2
    assert "exists; pass --force" in r.stderr
    assert out.read_text() == "precious"
    r = run("compare", "ascend-910c", "h20", "-o", str(out), "--force")
    assert r.exit_code == 0 and out.read_text().startswith("table,key")
    assert [p.name for p in tmp_path.iterdir()] == ["cmp.csv"]  # no temp files left


@pytest.mark.parametrize("args,code,msg", [
    (["chip", "ascend-919"], 2, "unknown chip 'ascend-919'; did you mean"),
    (["cluster", "cloudmatrix"], 2, "did you mean cloudmatrix384"),
    (["cluster", "cloudmatrix384", "--vs", "nvl72"], 2, "unknown system 'nvl72'"),
    (["compare", "h20"], 2, "at least two chips"),
    (["compare", "h20", "h100-sxm", "-f", "pdf"], 2, "unknown format 'pdf'"),
    (["compare", "h20", "h100-sxm", "-f", "xlsx"], 2, "xlsx is a binary file format: write it with --output NAME.xlsx"),
    (["chip", "h20", "--per", "die"], 2, "no 'dies' figure"),
    (["compare", "h20", "h100-sxm", "-o", "/nonexistent-dir/x.csv"], 2, "does not exist"),
    (["chip", "h100"], 2, "did you mean h100-sxm"),
])
def test_bad_input_one_line_error(args, code, msg):
    r = run(*args)
    assert r.exit_code == code
    assert msg in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert "Traceback" not in r.stderr + r.stdout


def test_broken_user_specs_name_file_and_field(tmp_path):
    d = tmp_path / "mine" / "chips"
    d.mkdir(parents=True)
    (d / "h20.toml").write_text('id = "h20"\nname = "x"\nvendor = "y"\n[hbm_bandwidth]\nvalue = "148 TFLOPS"\nsource = "toms-h20"\n')
    r = run("chip", "h20", "--specs", str(tmp_path / "mine"))
    assert r.exit_code == 1
    assert "h20.toml: hbm_bandwidth: expected a bandwidth like '4.0 TB/s', got '148 TFLOPS'" in r.stderr
    r = run("validate", str(tmp_path / "mine"))
    assert r.exit_code == 1 and "problems in" in r.stderr
    assert "mine/chips/h20.toml: hbm_bandwidth" in r.stderr


def test_a_misplaced_user_spec_file_is_an_error_not_ignored(tmp_path):
    """An override of a built-in chip put at the top of the folder would leave the built-in figure in
    use without a word: it is a one-line data error naming the file and where it belongs."""
    d = tmp_path / "mine"
    d.mkdir()
    (d / "h20.toml").write_text('id = "h20"\nname = "x"\nvendor = "y"\n[hbm_bandwidth]\nvalue = "3.6 TB/s"\n'
                                'assumption = "measured with a stream benchmark on our own box"\n')
    r = run("chip", "h20", "--specs", str(d))
    assert r.exit_code == 1 and r.stdout == ""
    line = r.stderr.strip()
    assert "\n" not in line and "Traceback" not in line
    assert line.startswith("chipcalc: error: mine/h20.toml: not read (a spec folder holds sources*.toml")
    assert "chips/" in line and "move it there or out of the folder" in line


def test_env_var_specs(tmp_path):
    d = tmp_path / "mine" / "chips"
    d.mkdir(parents=True)
    (d / "x1.toml").write_text('id = "x1"\nname = "X1"\nvendor = "me"\n[bf16_dense]\nvalue = "1 PFLOPS"\nassumption = "a what-if chip for planning"\n')
    r = run("chip", "x1", env={"CHIPCALC_SPECS": str(tmp_path / "mine")})
    assert r.exit_code == 0 and "1,000*" in r.stdout


def test_validate_builtin():
    r = run("validate")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("ok:")


def test_exports_are_readable_like_any_new_file(tmp_path):
    import os
    import stat

    out = tmp_path / "c.json"
    assert run("cluster", "cloudmatrix384", "-o", str(out)).exit_code == 0
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask


def test_regression_nul_byte_in_specs_path():
    # found by the CLI fuzzer: a NUL byte in a spec folder path raised ValueError from os.stat
    from chipcalc.catalog.read import user_specs_dirs
    from chipcalc.core.errors import UsageError

    with pytest.raises(UsageError, match="NUL byte"):
        user_specs_dirs([__import__("pathlib").Path("a\x00b")])


def test_failed_export_leaves_no_partial_file(tmp_path, monkeypatch):

    from chipcalc.output import files as export

    out = tmp_path / "x.csv"

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(export.os, "replace", boom)
    from chipcalc.core.errors import OutputError

    with pytest.raises(OutputError, match="disk full"):
        export.write_atomic(out, "a,b\n1,2\n")
    assert list(tmp_path.iterdir()) == []
