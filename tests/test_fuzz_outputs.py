"""Issue 16: --output aimed at everything a path can be (hypothesis, derandomized).

Each case builds a fresh folder holding one kind of target (a new name, an existing file, a symlink to
a file, a dangling symlink, a FIFO with a reader, a directory, a folder that cannot be written, a
missing folder, /dev/null, /dev/full, /proc, '-', /dev/stdout, a closed stdout), runs a command at it
with or without --force, and checks what must hold: exit 0, 1 or 2 and one error line; nothing but the
named target changes; an existing file is never touched without --force, and with --force it keeps its
mode and gets the whole output; a symlink stays a symlink and a FIFO a FIFO; no temporary file is left.
Real devices are only ever written without --force (were the code wrong, --force could replace them).
"""

from __future__ import annotations

import os
import select
import shutil
import stat
import tempfile
import threading
import types

import click.testing
import pytest
import typer.main
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chipcalc.cli.root import app
from chipcalc.output import files

CLICK = typer.main.get_command(app)
runner = click.testing.CliRunner()

KINDS = ["new", "existing", "symlink", "dangling", "fifo", "directory", "unwritable", "missing-folder",
         "/dev/null", "/dev/full", "/proc", "-", "/dev/stdout", "closed-stdout"]
COMMANDS = [
    ["chip", "h20"],
    ["chip", "h20", "-f", "csv"],
    ["compare", "h20", "h100-sxm", "-f", "json"],
    ["cluster", "hgx-h20"],
    ["fleet", "h20:1000"],
    ["sweep", "latency", "h20", "llama-3.1-70b", "--batch", "1,8", "--context", "1k", "-f", "csv"],
    ["chip", "nosuchchip"],  # fails before writing: the target must be untouched
]
REAL = {"/dev/null", "/dev/full", "/proc", "-", "/dev/stdout", "closed-stdout"}


class Reader:
    """Drains a FIFO while a command writes to it (the read end is open before the command starts)."""

    def __init__(self, path: str):
        self.fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        self.data = bytearray()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def drain(self) -> bool:
        try:
            chunk = os.read(self.fd, 65536)
        except BlockingIOError:
            return False
        self.data += chunk
        return bool(chunk)

    def run(self) -> None:
        while not self.stop.is_set():
            if select.select([self.fd], [], [], 0.02)[0] and self.drain():
                continue
        while self.drain():  # whatever is left once the command has returned
            pass

    def close(self) -> bytes:
        self.stop.set()
        self.thread.join(5)
        os.close(self.fd)
        return bytes(self.data)


def build(kind: str, root: str, name: str, mode: int):
    """Make the target; returns (path to pass to -o, file whose bytes may change, its old bytes)."""
    old = b"precious old content\n"
    real = os.path.join(root, "real" + os.path.splitext(name)[1])
    path = os.path.join(root, name)
    if kind == "existing":
        with open(path, "wb") as fh:
            fh.write(old)
        os.chmod(path, mode)
        return path, path, old
    if kind in ("symlink", "dangling"):
        if kind == "symlink":
            with open(real, "wb") as fh:
                fh.write(old)
            os.chmod(real, mode)
        os.symlink(os.path.basename(real), path)
        return path, real, old if kind == "symlink" else None
    if kind == "fifo":
        os.mkfifo(path)
        return path, None, None
    if kind == "directory":
        os.mkdir(path)
        return path, None, None
    if kind == "unwritable":
        sub = os.path.join(root, "ro")
        os.mkdir(sub)
        os.chmod(sub, 0o500)  # root may still write here; a non-root user may not: both are clean
        return os.path.join(sub, name), None, None
    if kind == "missing-folder":
        return os.path.join(root, "nope", name), None, None
    if kind == "/proc":
        return "/proc/" + name, None, None
    if kind == "closed-stdout":
        return None, None, None
    if kind in REAL:
        return kind, None, None
    return path, None, None  # new


def _contradicts(cmd: list, name: str) -> bool:
    fmt = cmd[cmd.index("-f") + 1] if "-f" in cmd else None
    named = {".csv": "csv", ".json": "json"}.get(os.path.splitext(name)[1])  # a .txt holds any text format
    return fmt is not None and named is not None and fmt != named


@pytest.mark.parametrize("kind", KINDS)  # every kind of target, each with its own examples
@settings(max_examples=10, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(COMMANDS), st.booleans(), st.sampled_from(["x.csv", "x.json", "x.txt", "x"]),
       st.sampled_from([0o600, 0o644, 0o664]))
def test_output_targets(kind, cmd, force, name, mode):
    if kind in REAL:
        force = False  # never --force at a real device (see the module docstring)
    root = tempfile.mkdtemp(prefix="chipcalc-out-fuzz-")
    reader, cwd = None, os.getcwd()
    os.chdir(root)  # were '-' ever taken as a file name again, it lands here, not in the checkout
    try:
        target, watched, old = build(kind, root, name, mode)
        args = list(cmd) + (["-o", target] if target is not None else []) + (["--force"] if force else [])
        if kind == "fifo":
            reader = Reader(target)
        before = sorted(os.listdir(root))
        if kind == "closed-stdout":  # what Python has when fd 1 is closed: sys.stdout is None
            saved = files.sys
            files.sys = types.SimpleNamespace(stdout=None, stderr=saved.stderr)
            try:
                r = runner.invoke(CLICK, args, prog_name="chipcalc")
            finally:
                files.sys = saved
        else:
            r = runner.invoke(CLICK, args, prog_name="chipcalc")
        got = reader.close() if reader else None
        reader = None

        assert r.exit_code in (0, 1, 2), (kind, args, r.exit_code, repr(r.exception), r.stderr[-300:])
        assert r.exception is None or isinstance(r.exception, SystemExit), (kind, args, repr(r.exception))
        errs = [ln for ln in r.stderr.splitlines() if ln.startswith("chipcalc: error:")]
        assert len(errs) == (0 if r.exit_code == 0 else 1), r.stderr
        ok = r.exit_code == 0
        # fails before writing: an unknown chip, or a -f that a .csv/.json name contradicts
        failing_cmd = cmd[-1] == "nosuchchip" or _contradicts(cmd, target or "")
        assert not (ok and failing_cmd)
        if kind in ("directory", "missing-folder", "/proc", "/dev/full", "closed-stdout") and not failing_cmd:
            assert not ok, (kind, r.stderr)
        if kind in ("new", "dangling", "fifo", "/dev/null", "-", "/dev/stdout") and not failing_cmd:
            assert ok, (kind, args, r.stderr)
        if kind in ("existing", "symlink") and not failing_cmd:
            assert ok == force, (kind, force, r.stderr)
        # the target after the run
        if watched is not None and old is not None:
            now = open(watched, "rb").read()
            if ok:
                assert now != old and len(now) > 50
                assert stat.S_IMODE(os.stat(watched).st_mode) == mode  # the mode is kept
            else:
                assert now == old  # untouched
        if kind in ("symlink", "dangling"):
            assert os.path.islink(target)
            if kind == "dangling":
                assert os.path.exists(watched) == ok
        if kind == "fifo":
            assert stat.S_ISFIFO(os.lstat(target).st_mode)
            assert (len(got) > 50) == ok
        if kind == "directory":
            assert os.listdir(target) == []
        if kind in ("-", "/dev/stdout") and ok:
            assert len(r.stdout) > 50 and "wrote" not in r.stderr
        # nothing else appeared or vanished (no temporary file left behind)
        after = sorted(os.listdir(root))
        made = {os.path.basename(target)} if kind == "new" and ok else set()
        assert "-" not in after
        if kind == "dangling" and ok:
            made = {os.path.basename(watched)}
        assert set(after) - set(before) == made, (kind, before, after)
        if kind == "unwritable":
            assert os.listdir(os.path.join(root, "ro")) in ([], [name]) and not any(
                f.endswith(".tmp") for f in os.listdir(os.path.join(root, "ro")))
    finally:
        os.chdir(cwd)
        if reader is not None:
            reader.close()
        for dirpath, _, _ in os.walk(root):
            os.chmod(dirpath, 0o700)
        shutil.rmtree(root, ignore_errors=True)
