"""Issue 16 item 1: --output never destroys what it points at, and every failure is one line (exit 2).

Devices and FIFOs are written in place, a symlink's target is replaced atomically (the link stays),
a replaced file keeps its mode, ``-`` and /dev/stdout are standard output, a closed stdout is an error.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading

import click.testing
import pytest
import typer.main

from chipcalc.cli.root import app
from chipcalc.output import files

CLICK = typer.main.get_command(app)
runner = click.testing.CliRunner()


def run(*args):
    return runner.invoke(CLICK, list(args), prog_name="chipcalc")


def test_dev_null_is_written_in_place_and_stays_a_device():
    r = run("chip", "h20", "-o", "/dev/null")
    assert r.exit_code == 0, r.stderr
    assert "wrote /dev/null" in r.stderr
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_dev_full_is_a_clean_error_and_not_replaced():
    # never --force on a real device here: on the old code that replaced the device node
    r = run("chip", "h20", "-o", "/dev/full")
    assert r.exit_code == 2
    assert r.stderr.strip() == "chipcalc: error: cannot write /dev/full: no space left on device"
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


@pytest.mark.parametrize("name", ["-", "/dev/stdout"])
def test_dash_and_dev_stdout_write_to_standard_output(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # before the fix, '-' was a file name
    r = run("chip", "h20", "-f", "csv", "-o", name)
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("table,key,figure")
    assert "wrote" not in r.stderr  # the output is the content itself
    assert list(tmp_path.iterdir()) == []


def test_fifo_is_written_in_place(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()), daemon=True)
    reader.start()
    r = run("chip", "h20", "-f", "csv", "-o", str(fifo))
    reader.join(5)  # a daemon: if the FIFO was replaced by a file (the bug), it never returns
    assert r.exit_code == 0, r.stderr
    assert got and got[0].startswith(b"table,key,figure")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # still a FIFO, not a regular file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


def test_symlink_target_is_replaced_atomically_and_the_link_kept(tmp_path):
    real = tmp_path / "real.csv"
    real.write_text("old")
    os.chmod(real, 0o600)
    link = tmp_path / "link.csv"
    link.symlink_to("real.csv")
    r = run("chip", "h20", "-o", str(link))
    assert r.exit_code == 2 and "(a symlink to" in r.stderr and "pass --force" in r.stderr
    assert real.read_text() == "old"
    r = run("chip", "h20", "-o", str(link), "--force")
    assert r.exit_code == 0, r.stderr
    assert "through the symlink" in r.stderr
    assert os.path.islink(link) and os.readlink(link) == "real.csv"
    assert real.read_text().startswith("table,key")
    assert stat.S_IMODE(real.stat().st_mode) == 0o600  # mode kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.csv", "real.csv"]


def test_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "link.csv"
    link.symlink_to("new.csv")
    r = run("chip", "h20", "-o", str(link))
    assert r.exit_code == 0, r.stderr
    assert os.path.islink(link) and (tmp_path / "new.csv").read_text().startswith("table,key")


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o755])
def test_force_keeps_the_mode_of_the_replaced_file(tmp_path, mode):
    out = tmp_path / "x.csv"
    out.write_text("old")
    os.chmod(out, mode)
    assert run("chip", "h20", "-o", str(out), "--force").exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == mode
    assert out.read_text().startswith("table,key")


@pytest.mark.parametrize("args,msg", [
    (["-o", "/proc/x.csv"], "cannot create a file in /proc for /proc/x.csv"),
    (["-o", "/proc/x.csv", "--force"], "cannot create a file in /proc"),
    (["-o", "/"], "/ is a directory; give a file name"),
    (["-o", "newdir/"], "--output: 'newdir/' names a folder (it ends with /); give a file name"),
    (["-o", ""], "--output: empty; give a file name, or - for standard output"),
    (["-o", "out.csv", "-f", "json"], "--format json does not match the file name out.csv (a .csv file holds csv); rename the file or drop --format"),
    (["-o", "/nonexistent-dir/x.csv"], "folder /nonexistent-dir does not exist"),
    (["-o", "/dev/stdin"], "it is standard input"),
])
def test_impossible_outputs_are_usage_errors_not_bugs(args, msg):
    r = run("chip", "h20", *args)
    assert r.exit_code == 2, (r.exit_code, r.stderr)
    assert msg in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_a_directory_is_refused_even_with_force(tmp_path):
    r = run("chip", "h20", "-o", str(tmp_path), "--force")
    assert r.exit_code == 2 and "is a directory" in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_block_device_is_refused():
    block = next((f"/dev/{n}" for n in sorted(os.listdir("/dev"))
                  if stat.S_ISBLK(os.stat(f"/dev/{n}").st_mode)), None) if os.path.isdir("/dev") else None
    if block is None:
        pytest.skip("no block device visible")
    r = run("chip", "h20", "-o", block)  # no --force: the old code would have replaced the node
    assert r.exit_code == 2 and "block device" in r.stderr
    assert stat.S_ISBLK(os.stat(block).st_mode)


def test_unwritable_folder_is_a_clean_error(tmp_path, monkeypatch):
    # root may write anywhere: make the temporary file fail as a read-only folder would
    import errno

    def denied(*a, **k):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(files.tempfile, "mkstemp", denied)
    r = run("chip", "h20", "-o", str(tmp_path / "x.csv"))
    assert r.exit_code == 2
    assert "permission denied; choose a folder you can write to" in r.stderr


def _chipcalc(*args, close_stdout=False, stdout=subprocess.PIPE):
    code = "import sys; from chipcalc.cli.root import main; sys.argv = ['chipcalc'] + sys.argv[1:]; main()"
    pre = (lambda: os.close(1)) if close_stdout else None
    return subprocess.run([sys.executable, "-c", code, *args], stdout=None if close_stdout else stdout,
                          stderr=subprocess.PIPE, text=True, preexec_fn=pre, timeout=60)


def test_closed_stdout_exits_non_zero():
    r = _chipcalc("list", close_stdout=True)
    assert r.returncode == 2, r.stderr
    assert "standard output is closed" in r.stderr


def test_full_stdout_is_a_clean_error():
    with open("/dev/full", "w") as full:
        r = _chipcalc("list", stdout=full)
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip() == "chipcalc: error: cannot write to standard output: no space left on device"


def test_failed_write_leaves_the_old_file(tmp_path, monkeypatch):
    out = tmp_path / "x.csv"
    out.write_text("precious")

    def boom(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", boom)
    r = run("chip", "h20", "-o", str(out), "--force")
    assert r.exit_code == 2 and "no space left on device" in r.stderr
    assert out.read_text() == "precious"
    assert [p.name for p in tmp_path.iterdir()] == ["x.csv"]  # no temporary file left


def test_interrupted_write_leaves_the_old_file(tmp_path, monkeypatch):
    out = tmp_path / "x.csv"
    out.write_text("precious")

    def interrupt(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "fsync", interrupt)
    with pytest.raises(KeyboardInterrupt):
        files.write_output(out, "new", force=True)
    assert out.read_text() == "precious"
    assert [p.name for p in tmp_path.iterdir()] == ["x.csv"]


def test_plot_to_a_directory_fails_before_drawing(tmp_path):
    d = tmp_path / "d.png"
    d.mkdir()
    r = run("plot", "roofline", "h20", "-o", str(d))
    assert r.exit_code == 2 and "is a directory" in r.stderr


def test_plot_through_symlink_keeps_the_link(tmp_path):
    pytest.importorskip("matplotlib")
    real = tmp_path / "real.svg"
    real.write_text("old")
    link = tmp_path / "r.svg"
    link.symlink_to(real)
    r = run("plot", "roofline", "h20", "-o", str(link), "--force")
    assert r.exit_code == 0, r.stderr
    assert os.path.islink(link) and real.read_text().lstrip().startswith("<?xml")


def test_sweep_csv_goes_to_dev_null_and_stdout():
    for name in ("/dev/null", "-"):
        r = run("sweep", "latency", "h20", "llama-3.1-70b", "--batch", "1,2", "--context", "1k", "-f", "csv", "-o", name)
        assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("batch") or "," in r.stdout.splitlines()[0]
