"""Write outputs without ever destroying anything: what ``--output`` may point at, and how it is written.

* ``-`` is standard output.
* A new file is written to a temporary file in the same folder and renamed over the name (atomic:
  an interrupted or failed write leaves nothing, or the old file, behind).
* An existing regular file is replaced only with ``force``, the same atomic way, keeping its mode.
* A symlink is followed: its target is replaced atomically and the link stays a link (the caller
  says so: :func:`shown`).
* A character device or a FIFO (``/dev/null``, a named pipe, ``/dev/tty``) is written in place: no
  temporary file, no rename, no ``force`` needed (nothing is overwritten).
* ``/dev/stdout``, ``/dev/stderr``, ``/dev/fd/N`` and ``/proc/self/fd/N`` write to that descriptor.
* A directory, a block device or a socket is refused; every OS error is one line (exit 2).
"""

from __future__ import annotations

import os
import re
import stat
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from chipcalc.core.errors import OutputError

#: The --output name for standard output.
STDOUT = "-"

_FD_LINK = re.compile(r"^/(?:dev/fd|proc/(?:self|thread-self|\d+)/fd)/(\d+)$")
_STD_NAMES = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}
_MAX_LINKS = 40  # as the kernel's ELOOP limit


@dataclass(frozen=True)
class Target:
    """Where an output goes: ``how`` is stdout, fd, new, replace or in-place."""

    given: str
    how: str
    real: Path | None = None  # the file written (the link's target for a symlink)
    fd: int | None = None
    link: bool = False  # reached through a symlink
    mode: int | None = None  # the mode to keep when replacing

    @property
    def shown(self) -> str:
        """The output as the 'wrote ...' message names it: a link and its target."""
        if self.link and self.real is not None:
            return f"{_display(self.real)} (through the symlink {self.given}, which is kept)"
        return self.given


def _display(path: Path) -> str:
    rel = os.path.relpath(path)
    return str(path) if rel.startswith("..") else rel


def is_stdout(path: Path | str | None) -> bool:
    return path is not None and str(path) == STDOUT


def _fail(path: str, exc: OSError, doing: str = "write") -> OutputError:
    why = (exc.strerror or str(exc) or type(exc).__name__).lower()
    hint = ""
    if exc.errno in (13, 30, 1):  # EACCES, EROFS, EPERM
        hint = "; choose a folder you can write to"
    return OutputError(f"cannot {doing} {path}: {why}{hint}")


def _fd_of(path: str) -> int | None:
    """The descriptor number a path names directly (/dev/stdout, /dev/fd/3, /proc/self/fd/1), else None."""
    if path in _STD_NAMES:
        return _STD_NAMES[path]
    m = _FD_LINK.match(path)
    return int(m.group(1)) if m else None


def _resolve(given: str) -> tuple[str, bool, int | None]:
    """Follow symlinks one hop at a time: (final path, went through a link, fd if a hop names a descriptor)."""
    cur, linked = os.path.abspath(given), False
    for _ in range(_MAX_LINKS):
        fd = _fd_of(cur)
        if fd is not None:
            return cur, linked, fd
        try:
            if not stat.S_ISLNK(os.lstat(cur).st_mode):
                return cur, linked, None
            nxt = os.readlink(cur)
        except FileNotFoundError:
            return cur, linked, None
        except OSError as exc:
            raise _fail(given, exc) from None
        linked = True
        cur = os.path.normpath(os.path.join(os.path.dirname(cur), nxt))
    raise OutputError(f"cannot write {given}: too many levels of symbolic links")


def plan(path: Path | str, force: bool = False) -> Target:
    """Check where ``path`` would be written, without writing (so a command can fail before working)."""
    given = str(path)
    if given == STDOUT:
        return Target(given, "stdout")
    if not given or "\x00" in given:
        raise OutputError(f"{given!r} is not a valid output path")
    if given in (".", "./"):
        raise OutputError("the output names the current folder (an empty --output reads as '.'); give a file name, "
                          "or - for standard output")
    if given.endswith(("/", os.sep)) and given.strip("/") != "":  # the resolution below would drop the slash
        raise OutputError(f"{given} names a folder (it ends with /); give a file name")
    real, linked, fd = _resolve(given)
    if fd is not None:
        if fd == 0:
            raise OutputError(f"cannot write {given}: it is standard input")
        return Target(given, "stdout" if fd == 1 else "fd", fd=fd, link=linked)
    try:
        st = os.stat(real)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise _fail(given, exc) from None
    if st is None:
        parent = os.path.dirname(real) or "."
        if not os.path.isdir(parent):
            shown_parent = os.path.dirname(given) or parent
            raise OutputError(f"folder {shown_parent} does not exist; create it first")
        return Target(given, "new", real=Path(real), link=linked)
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        raise OutputError(f"{given} is a directory; give a file name")
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return Target(given, "in-place", real=Path(real), link=linked)
    if stat.S_ISBLK(mode):
        raise OutputError(f"{given} is a block device (a disk); chipcalc does not write to disks")
    if not stat.S_ISREG(mode):
        raise OutputError(f"{given} is not a regular file, a device or a FIFO; give a file name")
    if not force:
        what = f"{given} (a symlink to {_display(Path(real))})" if linked else given
        raise OutputError(f"{what} exists; pass --force to overwrite it")
    return Target(given, "replace", real=Path(real), link=linked, mode=stat.S_IMODE(mode))


def write_stdout(data: str | bytes) -> None:
    """Write to standard output; a closed or full stdout is an error (a broken pipe is left to click)."""
    stream = sys.stdout
    if stream is None:
        raise OutputError("standard output is closed; nothing was written (write to a file with -o FILE)")
    try:
        if isinstance(data, bytes):
            stream.flush()
            stream.buffer.write(data)
            stream.buffer.flush()
        else:
            stream.write(data)
            stream.flush()
    except BrokenPipeError:
        raise
    except (OSError, ValueError) as exc:  # ValueError: the stream was closed
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write to standard output: {(exc.strerror or str(exc)).lower()}") from None
        raise OutputError("standard output is closed; nothing was written (write to a file with -o FILE)") from None


def _write_fd(fd: int, data: bytes, given: str) -> None:
    view = memoryview(data)
    try:
        while view:
            n = os.write(fd, view)
            view = view[n:]
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise _fail(given, exc) from None


def _in_place(target: Target, data: bytes) -> None:
    try:
        fd = os.open(str(target.real), os.O_WRONLY | os.O_TRUNC | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise _fail(target.given, exc, "open") from None
    try:
        _write_fd(fd, data, target.given)
    finally:
        os.close(fd)


def _atomic(target: Target, data: bytes) -> None:
    real = target.real
    assert real is not None
    parent = str(real.parent)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".tmp", dir=parent)
    except OSError as exc:  # e.g. /proc, a read-only or unwritable folder
        raise _fail(target.given, exc, f"create a file in {parent} for") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if target.mode is not None:
            mode = target.mode
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask  # mkstemp makes 0600; an export is meant to be shared
        os.chmod(tmp, mode)
        os.replace(tmp, real)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError):
            raise _fail(target.given, exc) from None
        raise


def write_output(path: Path | str, data: str | bytes, force: bool = False) -> Target:
    """Write ``data`` to ``path`` as the module docstring says; returns where it went."""
    target = plan(path, force)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if target.how == "stdout":
        write_stdout(data)
    elif target.how == "fd":
        assert target.fd is not None
        if target.fd == 2:
            sys.stderr.flush()
        _write_fd(target.fd, raw, target.given)
    elif target.how == "in-place":
        _in_place(target, raw)
    else:
        _atomic(target, raw)
    return target


def write_atomic(path: Path | str, text: str | bytes, force: bool = False) -> Target:
    """The former name of :func:`write_output` (a regular file is still written atomically)."""
    return write_output(path, text, force=force)


def wrote_message(target: Target, what: str) -> str | None:
    """The 'wrote ...' line for stderr, or None when the output went to standard output."""
    if target.how == "stdout":
        return None
    return f"wrote {target.shown} ({what})"
