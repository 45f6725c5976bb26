"""The loader on a synthetic folder: what loads, and a file+field error for every kind of bad input."""

import pytest
from conftest import CHIP, SYSTEM, load_only


def test_synthetic_folder_loads(specdir):
    cat, problems = load_only(specdir)
    assert problems == []
    chip = cat.chip("testchip")
    # per = "die": 40 GB per die x 2 dies
    assert chip.get("hbm_capacity").m("GB") == pytest.approx(80)
    # direction = "bi": 400 GB/s bidirectional is 200 GB/s per direction
    assert chip.get("scaleup_bandwidth").m("GB/s") == pytest.approx(200)
    # alternatives make a range and stay visible
    bf16 = chip.get("bf16_dense")
    assert bf16.bounds("TFLOPS") == pytest.approx((100, 100, 120))
    assert [a.m("TFLOPS") for a in bf16.alternatives] == [120]
    assert {s.id for s in bf16.alternatives[0].prov.sources} == {"src-b"}
    # an assumption is carried with its name
    assert chip.get("tdp").assumed
    assert [a.name for a in chip.get("tdp").prov.assumptions] == ["testchip.tdp"]
    sys = cat.system("testsys")
    assert sys.chip is chip and sys.chips.m("") == 10


def _problems(specdir, rel, text):
    (specdir / rel).write_text(text)
    cat, problems = load_only(specdir)
    return [str(p) for p in problems]


def replace_in(text, old, new):
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize("old,new,expect", [
    ('value = "2 TB/s"', 'value = "148 TFLOPS"', "hbm_bandwidth: expected a bandwidth like '4.0 TB/s', got '148 TFLOPS'"),
    ('value = "2 TB/s"', 'value = "2"', "hbm_bandwidth: expected a bandwidth like '4.0 TB/s', got '2' (missing unit)"),
    ('value = "2 TB/s"', "value = 2.0", "hbm_bandwidth: '2.0' has no unit"),
    ('value = "2 TB/s"', 'value = "2 Tb/s"', "hbm_bandwidth: unknown unit 'Tb'"),
    ('value = "2 TB/s"', 'value = "-2 TB/s"', "hbm_bandwidth: '-2 TB/s' must be positive"),
    ('value = "2 TB/s"', 'value = "nan TB/s"', "hbm_bandwidth: 'nan TB/s' is not a finite number"),
    ('value = "2 TB/s"\nsource = "src-a"', 'value = "2 TB/s"', "hbm_bandwidth: has neither source nor assumption"),
    ('value = "2 TB/s"\nsource = "src-a"', 'value = "2 TB/s"\nsource = "src-a"\nassumption = "also assumed, which is wrong"', "hbm_bandwidth: has both source and assumption"),
    ('value = "2 TB/s"\nsource = "src-a"', 'value = "2 TB/s"\nsource = "src-zz"', "hbm_bandwidth.source: 'src-zz' is not in the bibliography"),
    ('[bf16_sparse]\nvalue = "200 TFLOPS"', '[bf16_sparse]\nvalue = "50 TFLOPS"', "bf16_sparse: sparse peak 50 TFLOPS is below dense 100 TFLOPS"),
    ('[tdp]', '[tdpp]', "tdpp: unknown chip figure; did you mean 'tdp'?"),
    ('[dies]\nvalue = "2"', '[dies]\nvalue = "2.5"', "dies: '2.5' must be a whole number"),
    ('value = "2 TB/s"\nsource = "src-a"', 'value = "2 TB/s"\nlow = "3 TB/s"\nsource = "src-a"', "hbm_bandwidth.low: low 3 TB/s is above the value 2 TB/s"),
    ('id = "testchip"', 'id = "otherchip"', "id: 'otherchip' does not match the file name"),
])
def test_chip_errors_name_file_and_field(specdir, old, new, expect):
    found = _problems(specdir, "chips/testchip.toml", replace_in(CHIP, old, new))
    assert any(expect in p for p in found), found
    assert all(p.startswith("specs/chips/testchip.toml") or "testsys" in p for p in found), found


def test_malformed_toml(specdir):
    found = _problems(specdir, "chips/testchip.toml", CHIP + "\n[broken\n")
    assert len(found) >= 1 and "chips/testchip.toml: malformed TOML" in found[0]


@pytest.mark.parametrize("old,new,expect", [
    ('chip = "testchip"', 'chip = "testchp"', "chip: 'testchp' is not a chip in the catalog; did you mean 'testchip'?"),
    ('[chips]\nvalue = "10"', '[chips]\nvalue = "0"', "chips: '0' must be positive"),
    ('[chips]\nvalue = "10"', '[chips]\nvalue = "-3"', "chips: '-3' must be positive"),
    ('size = { value = "10"', 'size = { value = "20"', "has 20 chips per domain, more than the system's 10"),
    ('kind = "scale-up"', 'kind = "scaleup"', "tier[0].kind: 'scaleup' is not one of scale-up, scale-out"),
    ('value = "8 kW"', 'value = "8 kWh"', "power: expected a power like '400 W', got '8 kWh'"),
])
def test_system_errors(specdir, old, new, expect):
    found = _problems(specdir, "systems/testsys.toml", replace_in(SYSTEM, old, new))
    assert any(expect in p for p in found), found


def test_source_missing_fields(specdir):
    (specdir / "sources.toml").write_text('[src-a]\ntitle = "x"\nkind = "blog"\n[src-b]\ntitle="y"\npublisher="p"\nurl="u"\ndate="2024"\nkind="blog"\n')
    cat, problems = load_only(specdir)
    text = [str(p) for p in problems]
    assert any("sources.toml: src-a: missing publisher, date, url (or document)" in p for p in text), text
    assert any("src-b.kind: 'blog' is not one of official, paper, analyst, press" in p for p in text), text


def test_every_problem_is_reported_at_once(specdir):
    bad = replace_in(replace_in(CHIP, 'value = "2 TB/s"', 'value = "2 W"'), 'value = "500 W"', 'value = "500 GB"')
    found = _problems(specdir, "chips/testchip.toml", bad)
    assert any("hbm_bandwidth" in p for p in found) and any("tdp" in p for p in found)


def test_user_folder_overrides_builtin(tmp_path, catalog):
    from chipcalc.claims.load import load

    h20 = (tmp_path / "mine" / "chips")
    h20.mkdir(parents=True)
    (h20 / "h20.toml").write_text(
        'id = "h20"\nname = "H20 (my measurement)"\nvendor = "NVIDIA"\n'
        '[hbm_bandwidth]\nvalue = "3.6 TB/s"\nassumption = "measured with a stream benchmark on our own box"\n')
    (h20 / "my-chip.toml").write_text(
        'id = "my-chip"\nname = "Mine"\nvendor = "Me"\n'
        '[bf16_dense]\nvalue = "1 PFLOPS"\nassumption = "a hypothetical chip for a what-if"\n')
    cat, problems = load([tmp_path / "mine"])
    assert problems == []
    assert cat.chip("h20").name == "H20 (my measurement)"
    assert cat.chip("h20").get("hbm_bandwidth").assumed
    assert cat.chip("my-chip").get("bf16_dense").m("TFLOPS") == 1000
    assert len(cat.chips) == len(catalog.chips) + 1


def test_hygiene_per_die_times_dies_must_equal_package(specdir):
    from chipcalc.catalog.lint import hygiene_problems

    bad = replace_in(CHIP, '[[bf16_dense.alternatives]]\nvalue = "120 TFLOPS"\nsource = "src-b"',
                     '[[bf16_dense.alternatives]]\nvalue = "40 TFLOPS"\nper = "die"\nsource = "src-a"')
    (specdir / "chips/testchip.toml").write_text(bad)
    cat, problems = load_only(specdir)
    assert problems == []
    found = [str(p) for p in hygiene_problems(cat)]
    assert any("bf16_dense: src-a gives 100 TFLOPS" in p and "per-die x dies must equal" in p for p in found), found
    ok = replace_in(CHIP, '[[bf16_dense.alternatives]]\nvalue = "120 TFLOPS"\nsource = "src-b"',
                    '[[bf16_dense.alternatives]]\nvalue = "50 TFLOPS"\nper = "die"\nsource = "src-a"')
    (specdir / "chips/testchip.toml").write_text(ok)
    cat, _ = load_only(specdir)
    assert hygiene_problems(cat) == []


def test_hygiene_published_total_disagreement(specdir):
    from chipcalc.catalog.lint import hygiene_problems

    sysx = SYSTEM + '\n[reported.hbm_capacity]\nvalue = "8 TB"\nsource = "src-b"\n'
    (specdir / "systems/testsys.toml").write_text(sysx)
    cat, problems = load_only(specdir)
    assert problems == []
    found = [str(p) for p in hygiene_problems(cat)]
    # 10 chips x 80 GB = 0.8 TB against a published 8 TB: a unit slip, flagged
    assert any("reported.hbm_capacity" in p and "disagree by 0.10x" in p for p in found), found


def test_duplicate_source_id_in_one_folder(specdir):
    (specdir / "sources-more.toml").write_text(
        '[src-a]\ntitle = "dup"\npublisher = "p"\nurl = "https://example.invalid/x"\ndate = "2024"\nkind = "press"\n')
    cat, problems = load_only(specdir)
    assert any("src-a: also defined in" in str(p) for p in problems), problems


def test_regression_non_string_chip_reference(specdir):
    # found by the loader fuzzer: `chip = []` in a system crashed the loader (unhashable list)
    (specdir / "systems/testsys.toml").write_text(replace_in(SYSTEM, 'chip = "testchip"', "chip = []"))
    cat, problems = load_only(specdir)
    assert any("testsys.toml: chip: must be text in quotes, like chip = \"...\" (got [])" in str(p) for p in problems), problems


@pytest.mark.parametrize("where", ["testchip2.toml", "chip/testchip2.toml", "Chips/testchip2.toml",
                                   "chips/vendor/testchip2.toml", "chips/vendor/2025/testchip2.toml",
                                   "chip/vendor/testchip2.toml", "chips/testchip2.TOML", "chips/testchip2.tml"])
def test_a_toml_file_the_load_would_not_read_is_an_error(specdir, where):
    """A chip put at the top of the folder, or in a misspelt folder, would silently not count: it is a
    problem naming the file and where spec files go. Files the layout reads, and dot-folders, are fine."""
    (specdir / where).parent.mkdir(parents=True, exist_ok=True)
    (specdir / where).write_text(CHIP.replace('id = "testchip"', 'id = "testchip2"'))
    (specdir / ".git").mkdir()
    (specdir / ".git" / "config.toml").write_text("[core]\n")
    (specdir / "chips" / ".hidden").mkdir()
    (specdir / "chips" / ".hidden" / "x.toml").write_text("")
    (specdir / "sources-more.toml").write_text("")
    _, problems = load_only(specdir)
    assert [(p.file, p.field) for p in problems] == [(f"specs/{where}", "")]
    if where.lower().endswith((".tml", ".toml")) and not where.endswith(".toml"):
        assert problems[0].message == "not read: spec files are named *.toml (lower case); rename it"
    elif where.startswith("chips/"):
        assert problems[0].message == "not read: sub-folders of chips/ are not searched; put the file directly in chips/"
    else:
        assert "not read (a spec folder holds sources*.toml" in problems[0].message
        assert "chips/" in problems[0].message and "move it there or out of the folder" in problems[0].message


def test_files_toml_cannot_read_are_one_line_problems(specdir):
    """A symlink loop, a byte-order mark and an integer beyond tomllib's 4,300 digits: each a problem naming
    the file (they were an internal error, or a bare 'malformed TOML')."""
    (specdir / "chips" / "loop.toml").symlink_to("loop.toml")
    (specdir / "chips" / "bom.toml").write_bytes(b"\xef\xbb\xbf" + CHIP.replace('id = "testchip"', 'id = "bom"').encode())
    (specdir / "chips" / "long.toml").write_text(CHIP.replace('id = "testchip"', 'id = "long"') + "year = " + "1" * 5000 + "\n")
    _, problems = load_only(specdir)
    got = {p.file: p.message for p in problems}
    assert got["specs/chips/loop.toml"].startswith("cannot read (") and "symbolic links" in got["specs/chips/loop.toml"]
    assert got["specs/chips/bom.toml"] == "starts with a byte-order mark (BOM); save it as UTF-8 without one"
    assert got["specs/chips/long.toml"].startswith("malformed TOML (Exceeds the limit (4300 digits)") and len(got["specs/chips/long.toml"]) < 200


def test_a_text_field_of_another_type_says_so(specdir):
    (specdir / "chips/testchip.toml").write_text(CHIP.replace('name = "Test Chip"', "name = 5").replace("vendor = ", "vendr = "))
    _, problems = load_only(specdir)
    got = {p.field: p.message for p in problems}
    assert got["name"] == 'must be text in quotes, like name = "..." (got 5)'
    assert got["vendr"] == "unknown chip figure; did you mean 'vendor'?" and got["vendor"] == 'missing; add vendor = "..."'


def test_a_source_entry_reports_all_its_problems_and_citing_it_adds_none(specdir):
    (specdir / "sources.toml").write_text(
        '[src-a]\ntitle = "A test"\ndate = "2025-13-45"\nkind = "rumour"\nurl = "not a url"\n\n'
        '[src-b]\ntitle = "B"\npublisher = "P"\ndocument = "note"\ndate = "2025"\nkind = "analyst"\n')
    _, problems = load_only(specdir)
    got = [(p.field, p.message.split(";")[0]) for p in problems]
    assert got == [("src-a", "missing publisher"), ("src-a.kind", "'rumour' is not one of official, paper, analyst, press"),
                   ("src-a.date", "'2025-13-45' is not a date"), ("src-a.url", "'not a url' is not a URL")], got


@pytest.mark.parametrize("line, message", [
    ('year = "2024"', "must be a year like 2025 (a number, no quotes), got '2024'"),
    ("year = -5", "must be a year like 2025 (a number, no quotes), got -5"),
    ("notes = 5", 'must be text in quotes, like notes = "..." (got 5)'),
])
def test_year_and_notes_have_their_types(specdir, line, message):
    (specdir / "chips/testchip.toml").write_text(CHIP.replace('vendor = "Test"', f'vendor = "Test"\n{line}'))
    _, problems = load_only(specdir)
    assert [p.message for p in problems if p.file.endswith("testchip.toml")] == [message], problems
