"""The library face refuses bad input with a chipcalc error (one line, naming the argument), never a bare Python or pint
exception or a silently wrong number: found by an audit of `import chipcalc as cc`."""

import pytest

import chipcalc as cc
from chipcalc.core.errors import ChipcalcError, UnitError


@pytest.fixture(scope="module")
def cat():
    return cc.load()


@pytest.mark.parametrize("kw, message", [
    (dict(batch=10**30), "batch= must be at most 2^53 (9,007,199,254,740,992), got 1e+30"),  # was a negative TPOT
    (dict(batch=2.7), "batch= must be a whole number of sequences, got 2.7"),  # was run as batch 2
    (dict(context=4096.5), "context= must be a whole number of tokens, got 4096.5"),
    (dict(batch=[]), "batch= needs at least one value"),  # was the default batch
    (dict(batch=float("nan")), "batch= must be a whole number of sequences, got nan"),
    (dict(tpot=50), "tpot needs a time with its unit, like '50 ms', got 50"),
    (dict(tpot="nan ms"), "tpot needs a positive, finite time like '50 ms', got 'nan ms'"),
    (dict(chips=10**30), "chips must be at most 2^53 (9,007,199,254,740,992), got 1e+30"),
])
def test_latency_arguments(cat, kw, message):
    with pytest.raises(ChipcalcError) as exc:
        cc.latency("cloudmatrix384", model="deepseek-r1", precision="int8", catalog=cat, **kw)
    assert str(exc.value) == message


def test_latency_takes_count_strings(cat):
    a = cc.latency("cloudmatrix384", model="deepseek-r1", precision="int8", batch="4k", catalog=cat)
    b = cc.latency("cloudmatrix384", model="deepseek-r1", precision="int8", batch=4000, catalog=cat)
    assert str(a) == str(b)


def test_figure_arithmetic_errors(cat):
    c, h = cat.chip("ascend-910c"), cat.chip("h20")
    with pytest.raises(UnitError, match=r"cannot add ascend-910c.hbm_capacity \(GB\) and ascend-910c.hbm_bandwidth \(TB/s\): their dimensions differ"):
        c["hbm_capacity"] + c["hbm_bandwidth"]
    with pytest.raises(ChipcalcError, match="cannot divide by zero"):
        1 / (c["tdp"] - cat.chip("h100-sxm")["tdp"])
    # 1 / a range through zero gave 0.02 1/W [-0.02-0.006667]: a value outside its own range
    with pytest.raises(ChipcalcError, match="cannot divide by a range that includes zero"):
        1 / (c["tdp"] - h["tdp"] * 1.625)
    with pytest.raises(ChipcalcError, match="not a finite number"):
        c["hbm_capacity"] / float("nan")
    inv = 1 / c["tdp"]  # 1 / (700 W [600-800]): nominal, low and high by hand
    assert inv.m("1/W") == pytest.approx(1 / 700) and inv.bounds("1/W")[1:] == pytest.approx((1 / 800, 1 / 600))


def test_a_claim_side_keeps_the_citations_of_its_range(cat):
    """cloudmatrix384.power / gb200-nvl72.power: 3.855 [3.855-5], the 5 from Introl's 120 kW for the NVL72; the
    side's range cited nothing (a range never loses its citations)."""
    v = cc.verdict(expression="cloudmatrix384.power / gb200-nvl72.power > 4x", catalog=cat)
    assert {s.id for s in v.outcome.lhs.range_prov.sources} >= {"introl-nvl72"}
    hi = v.outcome.lhs.bounds("")[2]
    assert hi == pytest.approx(600 / 120)  # SemiAnalysis' close-to-600 kW over Introl's 120 kW


@pytest.mark.parametrize("kw, message", [
    (dict(expression="h20.tdp == 400 W", tolerance=-0.1), "tolerance -0.1 must be a share in [0, 1), like 0.05 or 5%"),
    (dict(expression="h20.tdp == 400 W", tolerance=float("nan")), "tolerance nan must be a share in [0, 1), like 0.05 or 5%"),
    (dict(claim="cm384-300pf-bf16", tolerance=0.5), "tolerance= applies to expression=; a claim id has its own tolerance in its file"),
])
def test_check_tolerance(cat, kw, message):
    with pytest.raises(ChipcalcError) as exc:
        cc.check(catalog=cat, **kw)
    assert str(exc.value) == message
    assert "CONSISTENT" in str(cc.check(expression="h20.tdp == 400 W", tolerance="5%", catalog=cat)).upper()


def test_a_misspelt_figure_name_is_an_error_not_absent(cat):
    cm = cat.system("cloudmatrix384")
    assert cm.total("fp4_dense") is None  # a real figure the 910C lacks: absent
    with pytest.raises(ChipcalcError, match="'BF16_dense' is not a chip figure; did you mean bf16_dense"):
        cm.total("BF16_dense")


@pytest.mark.parametrize("kw, message", [
    (dict(days="57", gpu_hours="2.788M"), "give a budget as gpu_hours= or as days= with chips=, not both"),
    (dict(days="57", mfu="0.4"), "mfu= and a budget exclude each other: with gpu_hours=/days= the MFU is what is computed"),
    (dict(on=[]), "on= names what trains: a chip or system id, or a list of them"),
])
def test_train_conflicting_arguments(cat, kw, message):
    args = dict(model="deepseek-v3", tokens="14.8T", on="h800", chips=2048, catalog=cat)
    args.update(kw)
    with pytest.raises(ChipcalcError) as exc:
        cc.train(**args)
    assert str(exc.value) == message


def test_latency_allows_a_long_context_when_asked(cat):
    with pytest.raises(ChipcalcError, match=r"in Python: allow_long_context=True"):
        cc.latency("cloudmatrix384", model="deepseek-r1", precision="int8", context=200_000, catalog=cat)
    r = cc.latency("cloudmatrix384", model="deepseek-r1", precision="int8", context=200_000, allow_long_context=True, catalog=cat)
    assert "200,000" in str(r)


def test_records_by_id_or_record_only(cat):
    for call, message in ((lambda: cc.chip(5, catalog=cat), "expected a chip id (text) or record, got 5"),
                          (lambda: cc.cluster(cat.chip("h20"), catalog=cat), "expected a system id (text) or record, got <Chip h20"),
                          (lambda: cc.latency("hgx-h20", model=None, catalog=cat), "expected a model id (text) or record, got None"),
                          (lambda: cat.chip(None), "a chip is named by its id as text")):
        with pytest.raises(ChipcalcError) as exc:
            call()
        assert str(exc.value).startswith(message)
    assert str(cc.chip(cat.chip("h20"), catalog=cat)) == str(cc.chip("h20", catalog=cat))


def test_result_lookups_and_formats(cat):
    r = cc.cluster("cloudmatrix384", catalog=cat)
    with pytest.raises(ChipcalcError, match=r"^no table 'nope'; tables: cluster.per_chip"):
        r["nope"]
    with pytest.raises(KeyError):  # still a KeyError for code that expects one
        r["nope"]
    with pytest.raises(ChipcalcError, match=r"^no table 5: this result has 4"):
        r[5]
    with pytest.raises(ChipcalcError, match=r"^unknown format 'docx'"):
        r.render("docx")


def test_negation_subtraction_from_a_number_and_no_order(cat):
    c, h = cat.chip("ascend-910c"), cat.chip("h20")
    r = (c["bf16_dense"] / h["bf16_dense"]).to("")
    one_minus = 1 - r  # 1 - 752/148 = -4.081, its range turned round
    assert one_minus.m("") == pytest.approx(1 - 752 / 148) and one_minus.bounds("")[1] == pytest.approx(1 - r.bounds("")[2])
    assert (-c["tdp"]).bounds("W") == pytest.approx((-700, -800, -600))
    with pytest.raises(ChipcalcError, match="figures are not ordered with < or >"):
        c["tdp"] < h["tdp"]


def test_float_of_a_figure_says_how_to_get_its_value(cat):
    tdp = cat.chip("h20")["tdp"]
    with pytest.raises(ChipcalcError, match=r"float\(\) of h20.tdp would drop it; take its value in a unit with fig.m"):
        float(tdp)
    assert tdp.m("W") == 400


def test_a_figure_in_a_binary_unit_prints_in_it(cat):
    """fig.to("TiB") printed 49.15 TB; 384 x 128 GB = 49.152e12 B = 44.70 TiB (by hand: 49.152e12 / 2**40)."""
    total = cat.system("cloudmatrix384").total("hbm_capacity")
    assert str(total).startswith("49.15 TB [")
    assert str(total.to("TiB")).startswith("44.7 TiB [") and 49.152e12 / 2**40 == pytest.approx(44.70, abs=0.005)
    assert format(total.to("TiB"), ".4g") == "44.7 TiB"


def test_abs_of_a_figure(cat):
    c, h = cat.chip("ascend-910c"), cat.chip("h20")
    d = c["tdp"] - h["tdp"] * 1.625  # 700 [600-800] - 650 = 50 W [-50-150]
    assert abs(d).bounds("W") == pytest.approx((50, 0, 150))  # through zero: from 0
    assert abs(-c["tdp"]).bounds("W") == pytest.approx((700, 600, 800))
    assert abs(h["tdp"]).m("W") == 400
