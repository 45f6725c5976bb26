"""The project cites public documents only: no mention of a fact sheet, of the material gathered for
its authors (shared/), or of any path of a machine, anywhere a reader or a user sees it."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ["specs", "src", "docs", "README.md", "notebooks", "benchmarks"]
FORBIDDEN = re.compile(r"fact[ -]?sheet|shared/|/work/|/tmp/|figures\.md|next-gen\.md", re.IGNORECASE)
TEXT = {".toml", ".py", ".md", ".txt", ".ipynb", ".json", ".cfg", ".csv", ".html", ".tex", ".yml", ".yaml", ""}


def files():
    for name in SCANNED:
        p = ROOT / name
        if p.is_file():
            yield p
        elif p.is_dir():
            for f in sorted(p.rglob("*")):
                hidden = any(part.startswith(".") for part in f.relative_to(p).parts)  # .venv-*, .ipynb_checkpoints
                if f.is_file() and f.suffix in TEXT and not hidden and "__pycache__" not in f.parts and ".egg-info" not in str(f):
                    yield f


def test_the_scan_covers_the_catalog_and_the_code():
    seen = {f.relative_to(ROOT).as_posix() for f in files()}
    assert "specs/sources.toml" in seen and "README.md" in seen and "src/chipcalc/claims/figref.py" in seen
    assert len(seen) > 100


@pytest.mark.parametrize("text", ["Compiled from the project fact sheet", "see /work/shared/sources/figures.md",
                                  "factsheet row", "written to /tmp/x.csv"])
def test_the_pattern_catches_the_known_forms(text):
    assert FORBIDDEN.search(text)


def test_no_file_mentions_the_fact_sheet_or_a_machine_path():
    hits = []
    for f in files():
        for n, line in enumerate(f.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            m = FORBIDDEN.search(line)
            if m:
                hits.append(f"{f.relative_to(ROOT)}:{n}: {m.group(0)!r} in {line.strip()[:100]}")
    assert hits == [], "cite the public document instead:\n" + "\n".join(hits)


def test_every_source_is_a_public_document(catalog):
    for s in catalog.sources.values():
        assert s.where and not FORBIDDEN.search(s.where), (s.id, s.where)
        assert not FORBIDDEN.search(s.title + " " + s.note), s.id
