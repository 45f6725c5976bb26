"""Read spec folders: every TOML file of every folder, merged by id (later folders override earlier
ones), before anything is parsed; where the built-in catalog and the user's folders are."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chipcalc.core.errors import Problem


def display_path(path: Path, root: Path) -> str:
    """'specs/chips/h20.toml' for built-ins; a path relative to the working directory otherwise."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, RuntimeError, OSError):  # outside the cwd; a symlink loop (RuntimeError on 3.11)
        return f"{root.name}/{path.relative_to(root)}"


@dataclass
class RawFile:
    path: str  # for messages
    data: dict[str, Any]


@dataclass
class Raw:
    """Everything read from the folders, merged by id, before parsing."""

    sources: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    assumptions: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    chips: dict[str, RawFile] = field(default_factory=dict)
    systems: dict[str, RawFile] = field(default_factory=dict)
    models: dict[str, RawFile] = field(default_factory=dict)
    claims: dict[str, RawFile] = field(default_factory=dict)


#: Tables and arrays nest at most this deep in a spec file (the catalog's own files nest 4 deep).
MAX_DEPTH = 16


def _depth(data: Any) -> int:
    """How deep tables and arrays nest (iterative: a deep file must not exhaust the stack here)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        node, d = stack.pop()
        if isinstance(node, (dict, list)):
            deepest = max(deepest, d)
            if d <= MAX_DEPTH:
                stack.extend((v, d + 1) for v in (node.values() if isinstance(node, dict) else node))
    return deepest


def _read_toml(path: Path, shown: str, problems: list[Problem]) -> dict[str, Any] | None:
    import tomllib  # only when a file is parsed: a cached catalog needs no TOML parser

    too_deep = f"tables or arrays nested more than {MAX_DEPTH} levels deep; spec files are flat tables of figures"
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except RecursionError:  # tomllib parses nested arrays and inline tables recursively
        problems.append(Problem(shown, "", too_deep))
        return None
    except tomllib.TOMLDecodeError as exc:
        if _starts_with_bom(path):
            problems.append(Problem(shown, "", "starts with a byte-order mark (BOM); save it as UTF-8 without one"))
        else:
            problems.append(Problem(shown, "", f"malformed TOML ({exc}); fix the syntax"))
        return None
    except UnicodeDecodeError as exc:
        problems.append(Problem(shown, "", f"not UTF-8 text (byte {exc.start}); save the file as UTF-8"))
        return None
    except ValueError as exc:  # tomllib's own limits, e.g. an integer of more than 4,300 digits
        problems.append(Problem(shown, "", f"malformed TOML ({str(exc)[:120]}); fix the value"))
        return None
    except OSError as exc:
        problems.append(Problem(shown, "", f"cannot read ({exc.strerror})"))
        return None
    if _depth(data) > MAX_DEPTH:
        problems.append(Problem(shown, "", too_deep))
        return None
    return data


def _starts_with_bom(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(3) == b"\xef\xbb\xbf"
    except OSError:
        return False


#: What a spec folder holds: these files at its top, and one .toml per entry in these folders.
TOP_FILES = ("sources*.toml", "assumptions*.toml", "measurements*.toml", "fleets*.toml")
FOLDERS = ("chips", "systems", "models", "claims", "supply")
UNREAD = ("not read (a spec folder holds " + ", ".join(TOP_FILES) + " at its top and one .toml per entry in "
          + "/, ".join(FOLDERS) + "/); move it there or out of the folder")
NESTED = "not read: sub-folders of {folder}/ are not searched; put the file directly in {folder}/"
SUFFIX = "not read: spec files are named *.toml (lower case); rename it"


def unread_files(root: Path) -> list[tuple[Path, str]]:
    """The ``.toml`` files of :func:`spec_files` that no part of a load reads (a chip put at the top of the
    folder, a ``chip/`` for ``chips/``, a ``chips/nvidia/`` sub-folder), each with why: each is an error,
    since its figures would silently not count. Folders whose name starts with a dot (``.git``) are not
    spec folders' business."""
    from fnmatch import fnmatch

    out = []
    for path in spec_files(root):
        parts = path.relative_to(root).parts
        if any(p.startswith(".") for p in parts[:-1]):
            continue
        if path.suffix != ".toml":
            out.append((path, SUFFIX))
        elif len(parts) == 1:
            if not any(fnmatch(parts[0], pattern) for pattern in TOP_FILES):
                out.append((path, UNREAD))
        elif parts[0] not in FOLDERS:
            out.append((path, UNREAD))
        elif len(parts) > 2:  # inside a known folder's sub-folder
            out.append((path, NESTED.format(folder=parts[0])))
    return out


def read_folder(root: Path, raw: Raw, problems: list[Problem], claims: bool = True) -> bool:
    """Read one spec folder into ``raw`` (later folders override earlier ones by id); False if it cannot be."""
    try:
        is_dir = root.is_dir()
    except OSError as exc:  # a name too long, a permission problem on the way
        problems.append(Problem(str(root)[:120], "", f"spec folder cannot be read ({exc.strerror or exc})"))
        return False
    if not is_dir:
        what = "is a file, not a spec folder" if root.exists() else "spec folder not found"
        problems.append(Problem(str(root)[:120], "", f"{what}; give an existing directory"))
        return False
    problems.extend(Problem(display_path(path, root), "", why) for path, why in unread_files(root))
    for pattern, table in (("sources*.toml", raw.sources), ("assumptions*.toml", raw.assumptions)):
        here: dict[str, str] = {}  # ids defined in this folder: a second definition is a mistake
        for path in sorted(root.glob(pattern)):
            shown = display_path(path, root)
            data = _read_toml(path, shown, problems)
            for key, entry in (data or {}).items():
                if key in here:
                    problems.append(Problem(shown, key, f"also defined in {here[key]}; keep one definition"))
                    continue
                here[key] = shown
                table[key] = (shown, entry)
    subs = [("chips", raw.chips), ("systems", raw.systems), ("models", raw.models)] + ([("claims", raw.claims)] if claims else [])
    for sub, target in subs:
        for path in sorted((root / sub).glob("*.toml")):
            shown = display_path(path, root)
            data = _read_toml(path, shown, problems)
            if data is None:
                continue
            rid = data.get("id")
            if not isinstance(rid, str) or not rid:
                problems.append(Problem(shown, "id", f"missing; add id = \"{path.stem}\""))
                continue
            if rid != path.stem:
                problems.append(Problem(shown, "id", f"'{rid}' does not match the file name; rename one of them"))
                continue
            target[rid] = RawFile(shown, data)
    return True


def spec_files(root: Path) -> list[Path]:
    """Every TOML file a load of ``root`` reads or refuses: its own, those up to two folders down (chips/,
    systems/, models/, claims/, supply/, a misspelt folder and its sub-folders) and any depth inside the
    known folders (``chips/nvidia/h300.toml``, refused by :func:`unread_files`), ``.toml`` in any case and
    ``.tml`` included (refused too). The caches key on exactly these, so a spec folder that is a big tree
    (``--specs .`` in a checkout) is walked only three levels deep."""
    root = Path(root)
    near = [*root.glob("*"), *root.glob("*/*"), *root.glob("*/*/*")]
    deep = [p for folder in FOLDERS for p in (root / folder).rglob("*")]
    return sorted({p for p in [*near, *deep] if p.suffix.lower() in (".toml", ".tml") and p.is_file()})


def builtin_specs_dir() -> Path:
    """The built-in catalog: packaged as chipcalc/specs in a wheel, ../../specs in a checkout."""
    from importlib import resources

    packaged = Path(str(resources.files("chipcalc"))) / "specs"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "specs"


def user_specs_dirs(explicit: list[Path] | None) -> list[Path]:
    from chipcalc.core.errors import UsageError

    if explicit:
        dirs = list(explicit)
    else:
        env = os.environ.get("CHIPCALC_SPECS", "")
        dirs = [Path(p) for p in env.split(os.pathsep) if p]
    for d in dirs:
        if "\x00" in str(d):
            raise UsageError(f"spec folder {str(d)!r} is not a valid path (it contains a NUL byte)")
        try:
            os.stat(d)
        except FileNotFoundError:
            pass  # reported by the loader, with the other problems
        except OSError as exc:
            raise UsageError(f"spec folder {str(d)[:120]!r} cannot be read ({exc.strerror or exc})") from None
    return dirs
