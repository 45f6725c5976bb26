"""KV offload to host memory (--kv-offload): host figures per GPU, memory fit, the host-link read, errors.

By hand from the catalog: GB200 NVL72 has 72 GPUs (192 GB HBM, 8 TB/s each) and 36 Grace CPUs, each with
480 GB of LPDDR5X at 512 GB/s and a 900 GB/s (bidirectional) NVLink-C2C link to its two GPUs; shared evenly,
one GPU gets 240 GB, 225 GB/s per direction and 256 GB/s. Llama 3.1 70B caches 327,680 B of KV per token
(2 x 80 layers x 8 KV heads x 128 x 2 B). Nominal assumptions: mbu 0.8, link_efficiency 0.7, hbm_usable 0.9,
host_memory_usable 0.8, serving_workspace 2 GB, activation_factor 16.
"""

import numpy as np
import pytest
from typer.testing import CliRunner

from chipcalc.calc import serving as L
from chipcalc.calc import workload as w
from chipcalc.cli.root import app
from chipcalc.core.errors import UsageError

KV_TOKEN = 327_680
HOST_BW = min(225e9 * 0.7, 256e9 * 0.8)  # the link x link_efficiency binds before LPDDR5X x mbu


@pytest.fixture(scope="module")
def kn(catalog):
    return L.knobs(catalog)


def _nvl72(catalog, kn, share, chips=8, tp=8):
    m = catalog.model("llama-3.1-70b")
    hw = L.hardware(catalog.target("gb200-nvl72"), "fp8", "package", kn)
    return m, hw, L.layout(m, hw, chips, tp, None, 0, 1, share)


def test_host_memory_per_gpu(catalog, kn):
    hw = L.hardware(catalog.target("gb200-nvl72"), "fp8", "package", kn)
    assert hw.host.capacity.m("GB") == pytest.approx(36 * 480 / 72)
    assert hw.host.link.m("GB/s") == pytest.approx(36 * 900 / 2 / 72)
    assert hw.host.bandwidth.m("GB/s") == pytest.approx(36 * 512 / 72)
    assert "yobitel-gb200" in {s.id for s in hw.host.capacity.prov.sources}
    die = L.hardware(catalog.target("gb200-nvl72"), "fp8", "die", kn)  # two dies per B200: half each
    assert die.host.capacity.m("GB") == pytest.approx(120)
    assert L.hardware(catalog.target("hgx-h20"), "fp8", "package", kn).host is None


def test_half_the_kv_in_host_memory(catalog, kn):
    """8 GPUs at TP8, 64 sequences per chip of 8,192 tokens: 171.8 GB of KV per rank, half in each memory. The
    host half is read over the host link at 157.5 GB/s (545 ms) beside the HBM half (13.4 ms); every other term
    of the step is that of the same deployment without offload, whose KV read takes 26.8 ms."""
    m, hw, half = _nvl72(catalog, kn, 0.5)
    _, _, none = _nvl72(catalog, kn, 0.0)
    d, d0 = L.decode(m, hw, half, kn, 64, 8192), L.decode(m, hw, none, kn, 64, 8192)
    kv = 64 * 8192 * KV_TOKEN
    assert kv == pytest.approx(171.8e9, rel=1e-3)
    assert d.memory.kv.m("B") == pytest.approx(kv / 2) and d.memory.host_kv.m("B") == pytest.approx(kv / 2)
    assert d.step.host_bytes.m("B") == pytest.approx(kv / 2)
    assert d.step.host_time.m("s") == pytest.approx(kv / 2 / HOST_BW, rel=1e-12)
    assert d.step.host_time.m("ms") == pytest.approx(545.4, rel=1e-3)
    assert d.tpot.m("s") == pytest.approx(d0.tpot.m("s") - kv / 6.4e12 + kv / 2 / HOST_BW, rel=1e-9)
    assert d0.step.host_time is None and d0.memory.host_kv is None
    weights = w.params(m).non_routed.m("") / 8  # FP8, TP8
    per_seq = 8192 * KV_TOKEN
    act = 8192 * 2 * 16
    by_hbm = (192e9 * 0.9 - weights - 2e9) / (per_seq / 2 + act)
    by_host = 240e9 * 0.8 / (per_seq / 2)
    assert d.memory.max_batch.m("") == np.floor(min(by_hbm, by_host)) == 120
    assert bool(d.memory.fits.all()) and not bool(d0.memory.fits.all())  # offload is what makes batch 64 fit


def test_prefill_writes_the_host_share_over_the_link(catalog, kn):
    """One prompt of 8,192 tokens at TP8: 1,024 tokens per rank write 1,024 x 327,680 B of KV, half of it to host."""
    m, hw, half = _nvl72(catalog, kn, 0.5)
    p = L.prefill(m, hw, half, kn, 8192)
    assert p.step.host_time.m("s") == pytest.approx(1024 * KV_TOKEN * 0.5 / HOST_BW, rel=1e-12)


def test_all_of_it_in_host_memory_is_bounded_by_host_memory(catalog, kn):
    m, hw, lay = _nvl72(catalog, kn, 1.0)
    mem = L.memory(m, hw, lay, kn, 1, 8192, "bf16")
    assert mem.kv.m("B") == 0
    assert mem.max_batch.m("") == np.floor(240e9 * 0.8 / (8192 * KV_TOKEN)) == 71


runner = CliRunner()
BASE = ["latency", "gb200-nvl72", "llama-3.1-70b", "-p", "fp8", "--chips", "8", "--tp", "8", "--context", "8192"]


def test_the_cli_says_what_does_not_fit_in_host_memory():
    r = runner.invoke(app, BASE + ["--batch", "200", "--kv-offload", "1"])
    assert r.exit_code == 0, r.output
    assert ("the KV cache offloaded to host memory does not fit: 536.9 GB per rank, 192.0 GB of host memory usable"
            in r.stdout)


@pytest.mark.parametrize("args, needle", [
    (["latency", "hgx-h20", "llama-3.1-70b", "--kv-offload", "0.5"],
     "--kv-offload 0.5: hgx-h20 has no host memory in the catalog (a CPU part with memory and link_bandwidth figures "
     "in specs/systems/hgx-h20.toml); KV offload needs one"),
    (["latency", "h100-sxm", "llama-3.1-70b", "--kv-offload", "50%"], "--kv-offload 0.5: h100-sxm has no host memory"),
    (BASE + ["--kv-offload", "1.5"], "--kv-offload: expected a share in [0, 1], got '1.5'"),
    (BASE + ["--kv-offload", "half"], "--kv-offload: expected a share like 0.56 or 56%, got 'half'"),
])
def test_bad_kv_offload_is_a_one_line_usage_error(args, needle):
    r = runner.invoke(app, args)
    assert r.exit_code == 2, r.output
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1 and needle in err, err


def test_the_python_face_and_the_layout_check(catalog, kn):
    import chipcalc as cc

    rows = cc.latency("gb200-nvl72", model="llama-3.1-70b", precision="fp8", chips=8, tp=8, batch=64, context=8192,
                      kv_offload=0.5, catalog=catalog).rows()
    got = {r["row"]: r for r in rows if r["table"] == "latency.decode"}
    assert got["host_time"]["value"] == pytest.approx(64 * 8192 * KV_TOKEN / 2 / HOST_BW * 1e3, rel=1e-9)
    m, hw = catalog.model("llama-3.1-70b"), L.hardware(catalog.target("gb200-nvl72"), "fp8", "package", kn)
    with pytest.raises(UsageError, match=r"^--kv-offload must be a share of the KV cache in \[0, 1\], got -0.1$"):
        L.layout(m, hw, 8, 8, None, 0, 1, -0.1)
