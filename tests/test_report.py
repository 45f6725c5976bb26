"""`chipcalc report`: one self-contained HTML page with every table, the plots, assumptions and bibliography.

The structure is checked with html.parser; a real browser (Debian's ``chromium``, headless) then
loads the page, and the test checks that the images decoded and the tables laid out, and keeps a
screenshot. The browser tests skip when /usr/bin/chromium is absent.
"""

import base64
import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chipcalc.cli.root import app

pytest.importorskip("matplotlib", reason="the report embeds plots (the plot extra)")

runner = CliRunner()
CHROMIUM = "/usr/bin/chromium"


class Page(HTMLParser):
    """Collects tables, images, headings, every URL-bearing attribute and the text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables = 0
        self.rows = 0
        self.images = []
        self.urls = []  # (tag, attribute, value) of every src / href / srcset / action / data
        self.tags = []
        self.headings = []
        self._in_heading = None
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        a = dict(attrs)
        if tag == "table":
            self.tables += 1
        if tag == "tr":
            self.rows += 1
        if tag == "img":
            self.images.append(a)
        for k, v in attrs:
            if k in ("src", "href", "srcset", "action", "data", "poster", "xlink:href") and v is not None:
                self.urls.append((tag, k, v))
        if tag in ("h1", "h2", "h3"):
            self._in_heading = []

    def handle_endtag(self, tag):
        if tag in ("h1", "h2", "h3") and self._in_heading is not None:
            self.headings.append("".join(self._in_heading).strip())
            self._in_heading = None

    def handle_data(self, data):
        self.text.append(data)
        if self._in_heading is not None:
            self._in_heading.append(data)


def parse(path: Path) -> Page:
    p = Page()
    p.feed(path.read_text(encoding="utf-8"))
    p.close()
    return p


@pytest.fixture(scope="session")  # drawn at most once per xdist worker, however it interleaves the modules
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report.html"
    r = runner.invoke(app, ["report", "cloudmatrix384", "--vs", "gb200-nvl72", "--output", str(out)])
    assert r.exit_code == 0, r.stderr
    return out


def _expected_tables(catalog, systems):
    from chipcalc.calc import supply as S
    from chipcalc.output import report_sections as rs
    from chipcalc.output.cluster_tables import cluster_tables
    from chipcalc.output.supply_tables import constraints_table

    # + the supply constraints of the 910C (the only chip of these systems with a supply product)
    supply = [constraints_table(S.funnel(catalog, S.select(catalog, "ascend-910c")))]
    return [rs.headline_table(systems, "bf16"), *cluster_tables(*systems), rs.claims_table(catalog, systems), *supply]


def test_every_table_and_image_is_there(report, catalog):
    page = parse(report)
    systems = [catalog.system("cloudmatrix384"), catalog.system("gb200-nvl72")]
    tables = _expected_tables(catalog, systems)
    assert page.tables == len(tables)
    for t in tables:
        assert t.title in page.headings
    assert page.rows >= sum(len(t.rows) + 1 for t in tables)  # header row + body rows
    assert len(page.images) == 3  # cluster bars, roofline and the 910C's supply constraints
    assert "Supply: how many can be made" in page.headings
    for img in page.images:
        assert img.get("alt")
        src = img["src"]
        assert src.startswith("data:image/png;base64,")
        png = base64.b64decode(src.split(",", 1)[1])
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    assert [h for h in page.headings if h in SECTIONS] == ["Summary", "Plots", "Per chip", "Whole system", "Claims",
                                                           "Assumptions", "Bibliography"]


SECTIONS = ("Summary", "Plots", "Per chip", "Whole system", "Serving", "Claims", "Assumptions", "Bibliography")


def test_headline_summary(report):
    text = " ".join(" ".join(parse(report).text).split())
    # the five numbers, with their basis, and the sentence they make
    assert ("Against NVIDIA GB200 NVL72, Huawei CloudMatrix 384 has 0.3008× the BF16 dense peak per chip, 1.604× as "
            "a whole system (384 vs 72 chips), 2.133× the HBM bandwidth, at 3.855× the all-in power: 0.4161× the BF16 "
            "compute per kW.") in text
    html = report.read_text(encoding="utf-8")
    head = html[html.index('id="report.headline"'):]
    head = head[:head.index("</table>")]
    rows = re.findall(r"<tr>(.*?)</tr>", head, flags=re.S)[1:]
    assert len(rows) == 5
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", r, flags=re.S) for r in rows]
    assert [c[0] for c in cells] == ["BF16 dense peak per chip", "BF16 dense peak, whole system",
                                     "HBM bandwidth, whole system", "all-in power (as reported, else the bottom-up sum)",
                                     "BF16 dense peak per kW of all-in power"]
    assert [c[2:5] for c in cells][1] == ["288.8†", "180†", "1.604×†"]
    assert [c[2] for c in cells][3] == "559†"
    assert all(re.search(r'href="#note-S\d+"', c[5]) for c in cells)  # every number has its basis, linked


def test_claims_about_these_systems(report, catalog):
    text = " ".join(parse(report).text)
    assert "CloudMatrix 384 delivers 300 PFLOPS of dense BF16 (cm384-300pf-bf16)" in text
    assert "contradicted by sourced figures" in text  # cm384-2x-nvl72, among others
    assert "h20-reduced-memory-bandwidth" not in text  # about neither system nor its chips


def test_self_contained(report):
    page = parse(report)
    assert not {"script", "link", "iframe", "object", "embed"} & set(page.tags)
    for tag, attr, value in page.urls:
        assert value.startswith(("data:", "#")), (tag, attr, value[:60])
    html = report.read_text(encoding="utf-8")
    assert not re.search(r"""url\(\s*['"]?(?!data:)""", html), "no external CSS resources"
    assert "@import" not in html


def test_assumptions_and_bibliography(report, catalog):
    text = " ".join(parse(report).text)
    assert "ascend-910c.tdp" in text  # the assumed 910C TDP is listed with its reason
    for sid in ("cm384-paper", "semianalysis-cm384", "lockwood-b200"):
        src = catalog.sources[sid]
        assert f"[{sid}]" in text and src.title in text and src.where in text


@pytest.fixture(scope="session")  # once per worker, however xdist interleaves the modules
def model_report(tmp_path_factory):
    """One page with a model, a what-if and ranges (the three options the tests below each check)."""
    out = tmp_path_factory.mktemp("model-report") / "r.html"
    r = runner.invoke(app, ["report", "cloudmatrix384", "--vs", "gb200-nvl72", "--model", "deepseek-r1", "-p", "int8",
                            "--set", "ascend-910c.tdp=600W", "--ranges", "-o", str(out)])
    assert r.exit_code == 0, r.stderr
    return out


def test_with_a_model_adds_serving_tables_and_the_latency_plot(model_report):
    page = parse(model_report)
    assert len(page.images) == 4  # + the latency plot
    assert "Serving" in page.headings
    assert "Deployment of DeepSeek-R1 (INT8 weights and GEMMs, BF16 KV cache)" in page.headings
    assert any(h.startswith("Decode (per step") for h in page.headings)
    assert any(h.startswith("Prefill (time to first token") for h in page.headings)
    text = " ".join(page.text)
    assert "mfu" in text  # the latency model's assumptions join the list
    assert "INT8 dense peak per chip" in text and "1,504" in text  # --precision sets the headline too


def test_set_and_ranges(model_report):
    html = model_report.read_text(encoding="utf-8")
    assert "--set ascend-910c.tdp=600W" in html and "What-if: ascend-910c.tdp=600W" in html
    chip = html[html.index('id="cluster.per_chip"'):]
    tdp = re.search(r"<td>chip power \(TDP\)</td><td>W</td><td[^>]*>([^<]*)</td>", chip)
    assert tdp and tdp.group(1).startswith("600*")  # the what-if value, marked as an assumption
    assert "752 [707.8–780]" in html  # --ranges: nominal [low–high]


def test_unknown_precision_is_a_usage_error(tmp_path):
    r = runner.invoke(app, ["report", "cloudmatrix384", "-p", "fp7", "-o", str(tmp_path / "r.html")])
    assert r.exit_code == 2 and "--precision" in r.stderr and "fp7" in r.stderr
    assert not list(tmp_path.iterdir())


def test_report_errors(tmp_path, report):
    r = runner.invoke(app, ["report", "cloudmatrix384", "-o", str(report)])
    assert r.exit_code == 2 and "exists" in r.stderr
    r = runner.invoke(app, ["report", "cloudmatrix384", "-o", str(tmp_path / "r.pdf")])
    assert r.exit_code == 2 and ".html" in r.stderr
    r = runner.invoke(app, ["report", "cloudmatrix385", "-o", str(tmp_path / "r.html")])
    assert r.exit_code == 2 and "did you mean" in r.stderr
    assert not list(tmp_path.iterdir())


# -- in a real browser -------------------------------------------------------------------------

needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} not installed (apt-get install chromium)")

PROBE = """<script>
window.addEventListener("load", () => {
  const imgs = [...document.images].map(i => [i.complete, i.naturalWidth, i.naturalHeight, i.getBoundingClientRect().width]);
  const tables = [...document.querySelectorAll("table")].map(t => [t.rows.length, t.getBoundingClientRect().height]);
  document.body.setAttribute("data-probe", JSON.stringify({imgs, tables}));
});
</script>"""


def chromium(*args, cwd):
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
           "--no-first-run", "--disable-extensions", f"--user-data-dir={cwd / 'profile'}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=cwd)


@needs_chromium
def test_browser_renders_tables_and_images(report, tmp_path):
    # A copy with a probe script: the shipped page has no script at all.
    probe = tmp_path / "probe.html"
    probe.write_text(report.read_text(encoding="utf-8").replace("</body>", PROBE + "\n</body>"), encoding="utf-8")
    r = chromium("--virtual-time-budget=5000", "--dump-dom", probe.as_uri(), cwd=tmp_path)
    m = re.search(r'data-probe="([^"]*)"', r.stdout)
    assert m, (r.returncode, r.stderr[-2000:])
    data = json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert len(data["imgs"]) == 3
    for complete, nw, nh, shown in data["imgs"]:
        assert complete and nw > 500 and nh > 300 and shown > 300  # decoded and laid out
    assert len(data["tables"]) >= 4
    for rows, height in data["tables"]:
        assert rows >= 2 and height > 20


@needs_chromium
def test_browser_screenshot(report, tmp_path):
    mpimg = pytest.importorskip("matplotlib.image")
    shot = tmp_path / "report.png"
    r = chromium("--window-size=1280,2400", f"--screenshot={shot}", report.as_uri(), cwd=tmp_path)
    assert shot.exists(), (r.returncode, r.stderr[-2000:])
    img = mpimg.imread(str(shot))
    assert img.shape[:2] == (2400, 1280)
    rgb = img[..., :3]
    assert rgb.std() > 0.05  # not blank
    # the plots are in colour: a visible share of strongly coloured pixels (the blue and red bars)
    saturation = rgb.max(axis=2) - rgb.min(axis=2)
    assert (saturation > 0.3).mean() > 0.005
