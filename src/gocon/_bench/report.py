"""Ratio tables for benchmark results (plain text, or rich when installed)."""

from __future__ import annotations

import sys
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
    out: list[str] = []
    for group, items in _by_group(rows).items():
        bases = _baselines(items)
        out.append(f"\n{group}")
        for r in items:
            if r.per_op is None:
                out.append(f"  {r.scenario:<34} {'-':>12}          ({r.note})")
                continue
            ratios = "  ".join(f"{r.per_op / bt:6.3f}x vs {bn}" for bn, bt in bases if bt)
            out.append(f"  {r.scenario:<34} {r.per_op * 1e9:12.1f} ns/op   {ratios}")
    return "\n".join(out)


def _by_group(rows: Iterable[Any]) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = {}
    for r in rows:
        r = Row(*r)
        out.setdefault(r.group, []).append(r)
    return out


def _baselines(items: list[Row]) -> list[tuple[str, float]]:
    """The group's baselines that ran, as (name, seconds per op)."""
    return [(r.scenario, r.per_op) for r in items if r.baseline and r.per_op]


def rich_console(stderr: bool = False) -> Any:
    """A rich Console when rich is installed and the stream is a terminal, else
    None (plain text then: pipes and CI logs get the stable format)."""
    try:
        from rich.console import Console
    except ImportError:
        return None
    console = Console(stderr=stderr)
    return console if console.is_terminal else None


def print_report(rows: list[Row], plain: bool = False) -> None:
    """The results on stdout: a rich table per group on a terminal with rich
    installed, else ``ratio_table``'s plain text."""
    console = None if plain else rich_console()
    if console is None:
        print(ratio_table(rows))
        sys.stdout.flush()
        return
    from rich.table import Table

    for group, items in _by_group(rows).items():
        bases = _baselines(items)
        table = Table(title=group, title_justify="left", title_style="bold")
        table.add_column("scenario")
        table.add_column("ns/op", justify="right")
        for name, _ in bases:
            table.add_column(f"vs {name}", justify="right")
        table.add_column("note", style="dim")
        for r in items:
            style = "bold cyan" if r.scenario.startswith("gocon") else None
            if r.per_op is None:
                table.add_row(r.scenario, "-", *["-" for _ in bases], r.note, style=style)
                continue
            cells = []
            for _, bt in bases:
                ratio = r.per_op / bt if bt else float("nan")
                colour = "green" if ratio < 0.95 else ("red" if ratio > 1.05 else "")
                cells.append(f"[{colour}]{ratio:.3f}x[/]" if colour else f"{ratio:.3f}x")
            table.add_row(r.scenario, f"{r.per_op * 1e9:,.1f}", *cells, r.note, style=style)
        console.print(table)


def markdown_table(rows: Iterable[Any]) -> str:
    """One Markdown table: group, scenario, ns/op, ratio to the group's baseline."""
    out = ["| group | scenario | ns/op | vs baseline |", "| --- | --- | ---: | ---: |"]
    last = None
    for d in rows_as_dicts(rows):
        group = d["group"] if d["group"] != last else ""
        last = d["group"]
        name = f"**{d['scenario']}**" if d["scenario"].startswith("gocon") else d["scenario"]
        if d["ns_per_op"] is None:
            out.append(f"| {group} | {name} | – | {d['note']} |")
            continue
        ratio = "baseline" if d["baseline"] and d["ratio"] == 1.0 else f"{d['ratio']:.3f}x"
        out.append(f"| {group} | {name} | {d['ns_per_op']:,.0f} | {ratio} |")
    return "\n".join(out) + "\n"
