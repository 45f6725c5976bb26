"""Data hygiene checks over a loaded catalog (run by ``chipcalc validate``).

The loader already checks units, dimensions, provenance and references; these are the catalog's
cross-figure checks: dense <= sparse (done at load), per-die x dies = per-package, published system
totals agree with chips x per-chip figures, measurement files parse. Claims add their own checks
(:mod:`chipcalc.claims.lint`).
"""

from __future__ import annotations

from chipcalc.core.errors import Problem


def hygiene_problems(cat) -> list[Problem]:
    problems: list[Problem] = []
    from chipcalc.catalog.measurements import load_measurements
    from chipcalc.core.errors import SpecError

    try:
        load_measurements(cat)
    except SpecError as exc:
        problems.extend(exc.problems)
    for c in cat.chips.values():
        for name, fig in c.figures.items():
            ids = {r.id for r in fig.prov.sources}
            for alt in fig.alternatives:
                same = ids & {r.id for r in alt.prov.sources}
                # one source stated both ways (per die and per package, or uni and bi): they must agree
                if same and ("per die" in alt.note or "per die" in fig.note or "bidirectional" in alt.note) and \
                        abs(float((alt.q / fig.q).m_as("")) - 1) > 0.02:
                    problems.append(Problem(c.file, name, f"{sorted(same)[0]} gives {fig.q:~P} and, {alt.note}, {alt.q:~P}; "
                                                          "per-die x dies must equal the per-package figure"))
    problems += binary_prefix_problems(cat)
    for s in cat.systems.values():
        for key, rep in s.reported.items():
            der = s.total(key)
            if der is None:
                continue
            r = float((der.q / rep.q).m_as(""))
            lo, hi = float((der.lo / rep.hi).m_as("")), float((der.hi / rep.lo).m_as(""))
            # published totals are rounded and sometimes use another per-chip figure: only flag
            # disagreements that no figure in either range explains.
            if hi < 0.8 or lo > 1.25:
                problems.append(Problem(s.file, f"reported.{key}",
                                        f"published total {rep.q:~P} and chips x per-chip ({der.q:~P}) disagree by {r:.2f}x; check units or the chip figure"))
    return problems


_BINARY = ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "kibi", "mebi", "gibi", "tebi", "pebi", "exbi")
_BINARY_WORDS = ("KiB", "MiB", "GiB", "TiB", "PiB", "1024", "2**", "2^")


def binary_prefix_problems(cat) -> list[Problem]:
    """A figure in a binary unit (GiB, TiB/s) must show that its source wrote the binary unit: its
    detail (or assumption) quotes 'GiB', 'TiB' or '1024'. Most vendors write GB and TB/s (decimal);
    entering those as GiB makes one die two values (1.6 TiB/s = 1.76 TB/s)."""
    out: list[Problem] = []
    records = [(c.file, c.figures) for c in cat.chips.values()]
    records += [(s.file, {f"reported.{k}": f for k, f in s.reported.items()}) for s in cat.systems.values()]
    for file, figures in records:
        for name, fig in figures.items():
            for i, f in enumerate((fig, *fig.alternatives)):
                if not any(b in str(f.q.units) for b in _BINARY):
                    continue
                said = [r.detail for r in f.prov.sources] + [a.text for a in f.prov.assumptions]
                if not any(w in t for t in said for w in _BINARY_WORDS):
                    where = name if i == 0 else f"{name}.alternatives[{i - 1}]"
                    out.append(Problem(file, where, f"{f.q:~P} uses a binary prefix but its detail does not show the source "
                                                    "wrote it (quote 'GiB'/'TiB' or '1024'); else enter the decimal unit (GB, TB/s)"))
    return out
