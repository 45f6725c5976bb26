"""The pre-parsed catalog on disk: parse the TOML once, then load the records in a few milliseconds.

The cache file is keyed by the content of every file under every spec folder read (built-ins and the
user's), and by the signature of chipcalc's own code, so it never serves stale data: edit any spec file and
the next run parses again. A corrupt or truncated file is rebuilt; an unwritable cache folder means no
cache, never an error; two first runs at once each write a complete file and rename it into place.
``CHIPCALC_NO_CACHE=1`` turns it off; ``CHIPCALC_CACHE_DIR`` moves it (default: the user cache folder,
``$XDG_CACHE_HOME/chipcalc`` or ``~/.cache/chipcalc``).

The file is a pickle of the loaded records (pint quantities included): as with pint's own cache, only a
folder the user owns should hold it. A quantity is stored as its magnitude and its units as (name, exponent)
pairs, rebuilt with one units object per distinct unit (pint's own pickling rebuilds the units of every
quantity: ~25 us each, most of reading the catalog).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, TypeVar

T = TypeVar("T")
#: Bump when the cached objects change shape in a way the code signature would not show.
FORMAT = b"chipcalc-catalog-cache-2"
#: Cache files kept per kind (older ones are removed).
KEEP = 8


def folder() -> Path | None:
    if os.environ.get("CHIPCALC_NO_CACHE", "").strip().lower() not in ("", "0", "false", "no", "off"):
        return None
    explicit = os.environ.get("CHIPCALC_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "chipcalc"


@lru_cache(maxsize=1)
def _code_signature() -> bytes:
    """Every module of chipcalc (and units.txt) by path, size and modification time."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.blake2b(digest_size=16)
    for p in sorted(root.rglob("*")):
        if p.suffix in (".py", ".txt") and p.is_file():
            st = p.stat()
            h.update(f"{p.relative_to(root)}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.digest()


def key(kind: str, roots: list[Path]) -> str:
    """A digest of everything the load depends on: the kind of load, the code, every spec file's content."""
    h = hashlib.blake2b(FORMAT, digest_size=20)
    h.update(kind.encode() + b"\0" + _code_signature())
    h.update(b"\0cwd\0" + os.getcwd().encode())  # file names in messages are shown relative to it
    for root in roots:
        root = Path(root)
        h.update(b"\0root\0" + str(root.resolve()).encode())
        if not root.is_dir():
            h.update(b"\0missing")
            continue
        from chipcalc.catalog.read import spec_files

        for p in spec_files(root):
            h.update(b"\0" + str(p.relative_to(root)).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def cached(kind: str, roots: list[Path], build: Callable[[], T]) -> T:
    """``build()``, or what it returned last time for the same inputs."""
    where = folder()
    if where is None:
        return build()
    try:
        path = where / f"{kind}-{key(kind, roots)}.pickle"
    except OSError:  # a spec file vanished or cannot be read: the loader will say so
        return build()
    value = _read(path)
    if value is not None:
        return value
    value = build()
    _write(path, value, kind)
    return value


def _read(path: Path) -> Any:
    try:
        with path.open("rb") as fh:
            data = fh.read()
    except OSError:
        return None
    from chipcalc.core.units import registry

    registry()  # quantities unpickle into the package registry
    try:
        tag, value = pickle.loads(data)
    except Exception:  # truncated or corrupt: parse again (and overwrite)
        return None
    return value if tag == FORMAT else None


@lru_cache(maxsize=None)
def _units(pairs: tuple) -> Any:
    from chipcalc.core.units import registry

    reg = registry()
    for name, _ in pairs:  # a prefixed unit (gigabyte) exists in the registry only once parsed, as pint's
        reg.parse_units(name)  # own unpickling does: without it, formatting or converting it fails
    return reg.UnitsContainer(dict(pairs))


def _quantity(magnitude: Any, pairs: tuple) -> Any:
    """A quantity of the package registry from what :class:`_Pickler` stored: the two attributes a pint
    quantity holds, set directly. The magnitude is the one pint itself held (taken from ``_magnitude`` when
    pickled), so ``Quantity.__new__``'s argument checks and conversions (a few microseconds each, for ~1,700
    quantities per `check`) have nothing to do; ``tests/test_cache.py`` checks the result equals pint's own."""
    from chipcalc.core.units import registry

    q = object.__new__(registry().Quantity)
    q._magnitude = magnitude
    q._units = _units(pairs)
    return q


class _Pickler(pickle.Pickler):
    """Pickles pint quantities as (magnitude, unit pairs); everything else as usual."""

    def reducer_override(self, obj: Any) -> Any:
        import pint

        if isinstance(obj, pint.Quantity):
            return _quantity, (obj._magnitude, tuple(obj._units.items()))
        return NotImplemented


def dumps(value: Any) -> bytes:
    import io

    buf = io.BytesIO()
    _Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return buf.getvalue()


def _write(path: Path, value: Any, kind: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = dumps((FORMAT, value))
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        old = sorted(path.parent.glob(f"{kind}-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
        for p in old[KEEP:]:
            p.unlink()
    except Exception:  # read-only or full disk, unpicklable value: no cache, never an error
        return
