"""Exports people use: a standalone HTML page (or --fragment), LaTeX that compiles with its footnotes in
the PDF, a spreadsheet read back with its values and provenance, md as an alias of github."""

import re
import shutil
import subprocess
import zlib
from html.parser import HTMLParser

import pytest
from typer.testing import CliRunner

from chipcalc.cli.root import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args))


class Cells(HTMLParser):
    """Each td/th with its class, style and text; tags seen."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.cells, self.tags, self.dt, self._cur = [], [], [], None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        a = dict(attrs)
        if tag in ("td", "th", "dt", "dd"):
            self._cur = [tag, a.get("class", ""), a.get("style", ""), a.get("id", ""), ""]

    def handle_endtag(self, tag):
        if self._cur is not None and tag == self._cur[0]:
            (self.dt if tag in ("dt", "dd") else self.cells).append(tuple(self._cur))
            self._cur = None

    def handle_data(self, data):
        if self._cur is not None:
            self._cur[4] += data


def parse(text):
    p = Cells()
    p.feed(text)
    return p


def test_html_is_a_standalone_page(tmp_path):
    out = tmp_path / "cmp.html"
    r = run("compare", "ascend-910c", "h20", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page and "<style>" in page
    assert "td.num" in page and "text-align: right" in page  # the stylesheet right-aligns numbers
    p = parse(page)
    assert {"html", "head", "body", "table", "thead", "tbody", "dl"} <= set(p.tags) and "ol" not in p.tags
    bf16 = next(i for i, c in enumerate(p.cells) if c[4] == "BF16 dense peak")
    row = p.cells[bf16:bf16 + 6]  # figure, unit, 910C, H20, ratio, basis
    assert [c[4] for c in row[2:5]] == ["752†", "148", "5.081×†"]
    assert all("num" in c[1] for c in row[2:5]) and "num" not in row[0][1] and "num" not in row[5][1]
    # the footnotes: a list of ids with their text, each basis tag linking to its entry
    tags = {c[3]: c[4] for c in p.dt if c[0] == "dt"}
    assert "note-S1" in tags and tags["note-S1"] == "S1"
    texts = [c[4] for c in p.dt if c[0] == "dd"]
    assert any("ascend-910c.tdp" in t and "(assumption)" in t for t in texts)
    assert '<a class="ref" href="#note-S1">S1</a>' in page


def test_html_to_stdout_is_a_page_and_fragment_the_bare_tables():
    page = run("compare", "ascend-910c", "h20", "-f", "html").stdout
    assert page.startswith("<!DOCTYPE html>")
    frag = run("compare", "ascend-910c", "h20", "-f", "html", "--fragment").stdout
    assert "<html" not in frag and "<style" not in frag and "<head" not in frag
    assert frag.startswith('<section class="table"') and "<h3>" in frag and "<table>" in frag
    p = parse(frag)
    cell = next(c for c in p.cells if c[4] == "752†")
    assert "text-align: right" in cell[2]  # aligned without a stylesheet
    assert any(c[4] == "S1" for c in p.dt)


def test_jupyter_gets_the_fragment(catalog):
    import chipcalc as cc

    html = cc.compare("h20", "h100-sxm", catalog=catalog)._repr_html_()
    assert "<table>" in html and "<html" not in html


def test_md_is_github():
    a, b = run("compare", "ascend-910c", "h20", "-f", "md"), run("compare", "ascend-910c", "h20", "-f", "github")
    assert a.exit_code == 0 and a.stdout == b.stdout and "| figure" in a.stdout


# -- LaTeX -----------------------------------------------------------------------------------------

def test_latex_table_with_booktabs_and_real_footnotes():
    tex = run("cluster", "cloudmatrix384", "--vs", "gb200-nvl72", "-f", "latex").stdout
    assert tex.count(r"\begin{table}") == tex.count(r"\end{table}") == 6
    for rule in (r"\toprule", r"\midrule", r"\bottomrule"):
        assert tex.count(rule) == 6
    assert r"\caption{Whole system: Huawei CloudMatrix 384" in tex
    comments = [ln for ln in tex.splitlines() if ln.lstrip().startswith("%")]
    assert len(comments) == 1 and "booktabs" in comments[0]  # only the header says what to \usepackage
    assert r"\begin{description}" in tex and r"\item[S1] [cm384-paper]" in tex
    assert r"\item[A1] \textbf{" in tex and re.search(r"\\item\[A\d+\] \\textbf\{ascend-910c\.tdp\} \(assumption\)", tex)
    assert "752\\dag{}" in tex and "0.3008$\\times$" in tex  # marks as LaTeX, not raw Unicode
    assert "(U+4F30 U+7B97)" in tex  # CJK in a quote: code points, so pdflatex never stops on it
    long = run("check", "-f", "latex").stdout  # the verdicts of every claim: longer than a page
    assert r"\begin{longtable}" in long and r"\endhead" in long and long.count(r"\begin{longtable}") == 1


def _pdf_text(pdf: bytes) -> str:
    """The text of a PDF's content streams (FlateDecode or plain), words joined as pdflatex spaced them."""
    out = []
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, flags=re.S):
        data = m.group(1)
        try:
            data = zlib.decompress(data)
        except zlib.error:
            pass
        for arr in re.findall(rb"\[(.*?)\]\s*TJ", data, flags=re.S):
            line = b""
            for s, kern in re.findall(rb"\(((?:\\.|[^\\)])*)\)|(-?\d+(?:\.\d+)?)", arr):
                if s:
                    line += re.sub(rb"\\(.)", rb"\1", s)
                elif kern and float(kern) < -200:
                    line += b" "
            out.append(line.decode("latin-1"))
    return " ".join(out)


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed (apt-get install texlive-latex-base texlive-latex-recommended)")
def test_latex_compiles_and_the_pdf_shows_the_footnotes(tmp_path):
    out = tmp_path / "tables.tex"
    r = run("cluster", "cloudmatrix384", "--vs", "gb200-nvl72", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    (tmp_path / "doc.tex").write_text("\\documentclass{article}\n\\usepackage{booktabs,array,longtable}\n"
                                      "\\begin{document}\n\\input{tables.tex}\n\\end{document}\n")
    p = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=120)
    log = (tmp_path / "doc.log").read_text(errors="replace")
    assert p.returncode == 0, log[-3000:]
    assert "Missing character" not in log and "Undefined control sequence" not in log
    text = _pdf_text((tmp_path / "doc.pdf").read_bytes())
    for needle in ("Notes, sources and assumptions", "cm384-paper", "ascend-910c.tdp", "Whole system", "288.8"):
        assert needle in text, needle


# -- xlsx ------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")  # once per worker, however xdist interleaves the modules
def workbook(tmp_path_factory):
    openpyxl = pytest.importorskip("openpyxl")
    out = tmp_path_factory.mktemp("xlsx") / "cluster.xlsx"
    r = run("cluster", "cloudmatrix384", "--vs", "gb200-nvl72", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    assert "xlsx" in r.stderr
    return openpyxl.load_workbook(out)


def _rows(ws):
    rows = list(ws.iter_rows(values_only=True))
    header = rows[1]
    return {r[0]: dict(zip(header, r)) for r in rows[2:] if r and r[0]}


def test_xlsx_numbers_units_ranges_and_basis(workbook, catalog):
    assert workbook.sheetnames[:2] == ["cluster.per_chip", "cluster.system"]
    assert workbook.sheetnames[-2:] == ["Sources", "Assumptions"]
    ws = workbook["cluster.system"]
    assert ws["A1"].value.startswith("Whole system: Huawei CloudMatrix 384")
    rows = _rows(ws)
    bf16 = rows["bf16_dense_total"]
    assert isinstance(bf16["cloudmatrix384"], float) and bf16["cloudmatrix384"] == pytest.approx(384 * 752 / 1000)
    assert bf16["cloudmatrix384 unit"] == "PFLOPS"
    assert bf16["cloudmatrix384 low"] == pytest.approx(384 * 707.8 / 1000)
    assert bf16["cloudmatrix384 high"] == pytest.approx(384 * 780 / 1000)
    assert re.fullmatch(r"sourced: S\d+ \(range:( S\d+)+\)", bf16["cloudmatrix384 basis"])
    assert bf16["ratio"] == pytest.approx(288.768 / 180) and bf16["ratio unit"] is None
    acc = rows["power_accelerators"]
    assert acc["cloudmatrix384"] == pytest.approx(384 * 0.7) and acc["cloudmatrix384 unit"] == "kW"
    assert acc["cloudmatrix384 basis"].startswith("assumed: ") and re.search(r"\bA\d+\b", acc["cloudmatrix384 basis"])
    assert rows["chips"]["gb200-nvl72"] == 72


def test_xlsx_sources_and_assumptions_sheets(workbook, catalog):
    src = {r[1]: r for r in workbook["Sources"].iter_rows(min_row=2, values_only=True)}
    s = catalog.sources["cm384-paper"]
    tag, sid, title, publisher, date, kind, where = src["cm384-paper"][:7]
    assert re.fullmatch(r"S\d+", tag) and (title, publisher, date, kind, where) == (s.title, s.publisher, s.date, s.kind, s.where)
    asm = [r for r in workbook["Assumptions"].iter_rows(min_row=2, values_only=True) if r[1]]
    tdp = [r for r in asm if r[1] == "ascend-910c.tdp" and r[2].startswith("NOT FOUND: Huawei has published no 910C TDP")]
    assert len(tdp) == 1
    # every tag a basis names is on those sheets, and the 910C TDP's tag is the assumption's
    named = set()
    for ws in workbook.worksheets[:-2]:
        for row in ws.iter_rows(min_row=3, values_only=True):
            for v in row:
                if isinstance(v, str) and v.startswith(("sourced: ", "assumed: ")):
                    named |= set(re.findall(r"\b[SA]\d+\b", v))
    tags = {r[0] for r in src.values()} | {r[0] for r in asm}
    assert named and named == tags
    acc = _rows(workbook["cluster.system"])["power_accelerators"]["cloudmatrix384 basis"]
    assert tdp[0][0] in acc.split()


def test_xlsx_needs_a_file():
    r = run("compare", "h20", "h100-sxm", "-f", "xlsx")
    assert r.exit_code == 2 and len(r.stderr.strip().splitlines()) == 1 and "--output NAME.xlsx" in r.stderr


def test_latex_keeps_double_hyphens_and_markdown_keeps_the_star_mark():
    """'--ranges' typeset as an en dash in LaTeX ('–ranges'); in Markdown and rst the legend line '* depends on ...'
    became a bullet and lost its mark; an rst title sat on the table's border (docutils saw no table)."""
    from chipcalc.output.render_latex import tex

    assert tex("--ranges shows [low–high]") == "-{}-ranges shows [low--high]" and tex("a-b") == "a-b"
    md = run("cluster", "cloudmatrix384", "-f", "github").stdout
    assert "\n- \\* depends on at least one assumption (A#)" in md
    rst = run("cluster", "cloudmatrix384", "-f", "rst").stdout
    assert rst.startswith("Per chip: Huawei Ascend 910C in Huawei CloudMatrix 384\n\n====") and "\n\\* depends on" in rst


def test_xlsx_numbers_sources_and_assumptions_as_the_text_does(tmp_path):
    """S2 was another source in the xlsx Sources sheet than in the text footnotes (its numbering walked the cells
    with their range citations first)."""
    import re

    openpyxl = pytest.importorskip("openpyxl")
    out = tmp_path / "c.xlsx"
    assert run("cluster", "cloudmatrix384", "--vs", "gb200-nvl72", "-o", str(out)).exit_code == 0
    wb = openpyxl.load_workbook(out)
    sheet = {r[0]: r[1] for name in ("Sources", "Assumptions") for r in wb[name].iter_rows(min_row=2, values_only=True)}
    text = run("cluster", "cloudmatrix384", "--vs", "gb200-nvl72").stdout
    sources = re.findall(r"^(S\d+) \[([^\]]+)\]", text, re.M)
    assumptions = re.findall(r"^(A\d+) ASSUMPTION \((.*)$", text, re.M)
    assert len(sources) >= 5 and len(assumptions) >= 5
    for tag, ident in sources:
        assert sheet[tag] == ident, (tag, ident, sheet[tag])
    for tag, rest in assumptions:
        assert rest.startswith(f"{sheet[tag]}): "), (tag, rest[:80], sheet[tag])


def test_counts_shown_as_text_are_numbers_in_machine_formats(tmp_path):
    """The latency setup table's context, chips and batch were {"text": "4,096"} in JSON and strings in xlsx."""
    import json

    d = json.loads(run("latency", "hgx-h20", "deepseek-r1", "-p", "fp8", "--batch", "1,16", "-f", "json").stdout)
    rows = {r["key"]: r["cells"] for r in d["tables"][0]["rows"]}
    assert rows["context"]["batch 1"] == {"value": 4096, "text": "4,096"} and rows["batch"]["batch 16"]["value"] == 16
    assert rows["target"]["batch 1"] == {"text": "NVIDIA HGX H20 (8-GPU server)"}  # text stays text
    csv_text = run("latency", "hgx-h20", "deepseek-r1", "-p", "fp8", "--batch", "1,16", "-f", "csv").stdout
    assert any(line.split(",")[1] == "context" and ",4096," in line for line in csv_text.splitlines())


def test_pareto_xlsx_has_every_point_as_csv_does(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    out = tmp_path / "p.xlsx"
    r = run("pareto", "hgx-h20", "deepseek-r1", "-p", "fp8", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    n_csv = len(run("pareto", "hgx-h20", "deepseek-r1", "-p", "fp8", "-f", "csv").stdout.strip().splitlines()) - 1
    ws = openpyxl.load_workbook(out)["pareto.hgx-h20"]
    points = [row for row in ws.iter_rows(values_only=True) if row[1] and str(row[1]).startswith("point ")]
    assert n_csv > 24 and len(points) == n_csv


def test_latex_quotes_open_and_close_and_the_binding_mark_is_a_symbol():
    from chipcalc.output.render_latex import tex

    assert tex('a "b" c') == "a ``b'' c"  # both were closing quotes
    assert tex("◀ binding") == r"$\triangleleft$ binding"  # was (U+25C0)


def test_a_listing_cut_for_reading_keeps_the_whole_text_in_json_and_csv(catalog):
    import json

    full = next(iter(catalog.assumption("activation_factor").prov.assumptions)).text
    assert len(full) > 70
    d = json.loads(run("list", "assumptions", "-f", "json").stdout)
    row = next(r for r in d["tables"][0]["rows"] if r["key"] == "activation_factor")
    assert row["cells"]["about"]["text"] == full  # was cut with '…'
    assert full in run("list", "assumptions", "-f", "csv").stdout
    assert "…" in run("list", "assumptions").stdout  # the text listing still cuts it
