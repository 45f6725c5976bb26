"""The README's output excerpts (code blocks that start with ``$ chipcalc ...``) against real output.

Each line of an excerpt must be the start of a line the command prints (an excerpt may cut the basis
column on the right; a line ``...`` marks an elision). The stored golden output of the command
(tests/golden/, itself checked against the CLI by test_golden.py) is the real output.

``python tests/readme_excerpts.py`` rewrites every excerpt from the golden outputs (each line replaced
by the printed line with the same label, keeping as many columns as the old one had; a sentence cut short
with '...' is cut where the old one ended, at a word boundary): run it after regenerating the goldens for an
intended change.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BLOCK = re.compile(r"^```\n\$ (chipcalc [^\n]*?)(?:   #[^\n]*)?\n(.*?)^```", re.M | re.S)


def golden_stdout(cmd: str) -> list[str]:
    from test_golden import slug

    text = (ROOT / "tests" / "golden" / slug(cmd)).read_text()
    return text.split("--- stdout\n", 1)[1].split("--- stderr\n", 1)[0].splitlines()


def excerpts(text: str) -> list[tuple[str, list[str], tuple[int, int]]]:
    """(command, excerpt lines, span of the lines in the text) for every excerpt."""
    return [(m.group(1).strip(), m.group(2).splitlines(), m.span(2)) for m in BLOCK.finditer(text)]


def label(line: str) -> str:
    """A table row's first column; for a sentence ('Model accuracy: ...'), what comes before its colon."""
    parts = re.split(r"\s{2,}", line.strip(), maxsplit=1)
    return parts[0] if len(parts) > 1 or ": " not in line else line.split(": ", 1)[0]


def _head(line: str) -> str:
    """The part of an excerpt line that must match: a trailing '...' marks a line cut short."""
    line = line.rstrip()
    return line[:-3] if line.endswith("...") else line


#: A table cell: words joined by single spaces (cells are two or more spaces apart).
CELL = re.compile(r"\S+(?: \S+)*")


def _shown(excerpt: str, real: str) -> bool:
    """The excerpt line is the start of the printed line and, for a table row, keeps at least its label and
    first value (a row cut down to its label has lost what it was quoted for)."""
    head = _head(excerpt)
    if not real.startswith(head):
        return False
    return len(CELL.findall(head)) >= min(2, len(CELL.findall(real))) or excerpt.rstrip().endswith("...")


def mismatches(cmd: str, lines: list[str]) -> list[str]:
    real = [ln.rstrip() for ln in golden_stdout(cmd)]
    return [ln for ln in lines if ln.strip() != "..." and not any(_shown(ln, r) for r in real)]


def refreshed(cmd: str, lines: list[str]) -> list[str]:
    real = golden_stdout(cmd)
    out = []
    for ln in lines:
        if ln.strip() == "..." or any(_shown(ln, r.rstrip()) for r in real):
            out.append(ln)
            continue
        same = [r for r in real if label(r) == label(ln) and label(ln)]
        if not same:
            raise SystemExit(f"{cmd}: no printed line for the excerpt line {ln!r}; edit the README by hand")
        r = same[0].rstrip()
        if ln.rstrip().endswith("..."):  # a sentence cut short: cut where the old one ended, at a word boundary
            cut = len(_head(ln))
            while cut < len(r) and not r[cut].isspace():
                cut += 1  # never cut inside a number
            out.append(r[:cut].rstrip() + ("..." if cut < len(r) else ""))
            continue
        # a table row: as many cells as the old one had (at least label and value), however wide the columns
        cells = list(CELL.finditer(r))
        keep = max(len(CELL.findall(_head(ln))), 2)
        out.append(r if keep >= len(cells) else r[:cells[keep - 1].end()])
    return out


def main() -> None:
    text = README.read_text()
    for cmd, lines, (a, b) in reversed(excerpts(text)):
        new = "\n".join(refreshed(cmd, lines)) + "\n"
        text = text[:a] + new + text[b:]
    README.write_text(text)


if __name__ == "__main__":
    main()
