"""Ratio tables for benchmark results (plain text, or rich when installed)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple


class Row(NamedTuple):
    group: str
    scenario: str
    per_op: float | None  # seconds per operation; None: not run
    baseline: bool
    note: str = ""


def rows_as_dicts(rows: Iterable[Any]) -> list[dict[str, Any]]:
    """Rows with ns/op and the ratio to the group's first baseline."""
    rows = [Row(*r) for r in rows]
    base: dict[str, float] = {}
    for r in rows:
        if r.baseline and r.per_op and r.group not in base:
            base[r.group] = r.per_op
    return [
        {
            "group": r.group,
            "scenario": r.scenario,
            "ns_per_op": None if r.per_op is None else r.per_op * 1e9,
            "baseline": r.baseline,
            "ratio": None if r.per_op is None or r.group not in base else r.per_op / base[r.group],
            "note": r.note,
        }
        for r in rows
    ]


def ratio_table(rows: Iterable[Any]) -> str:
    """Each row's time over each baseline's time in the same group (lower is faster)."""
    by_group: dict[str, list[Row]] = {}
    for r in rows:
        r = Row(*r)
        by_group.setdefault(r.group, []).append(r)
    out: list[str] = []
    for group, items in by_group.items():
        bases = [(r.scenario, r.per_op) for r in items if r.baseline and r.per_op]
        out.append(f"\n{group}")
        for r in items:
            if r.per_op is None:
                out.append(f"  {r.scenario:<34} {'-':>12}          ({r.note})")
                continue
            ratios = "  ".join(f"{r.per_op / bt:6.3f}x vs {bn}" for bn, bt in bases if bt)
            out.append(f"  {r.scenario:<34} {r.per_op * 1e9:12.1f} ns/op   {ratios}")
    return "\n".join(out)
