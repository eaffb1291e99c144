"""Interleaved runner behind ``python -m gocon bench``.

Rounds are interleaved across a group's scenarios (A B C, A B C, ...) so that
a noisy neighbour slows all of them alike, and each scenario reports the
median of its rounds; ratios are taken against the group's baselines. Every
round checks its own results (see ``Scenario``), so a broken implementation
cannot look fast.
"""

from __future__ import annotations

import gc
import json
import statistics
import sys
import time
from collections.abc import Iterable
from typing import Any, TextIO

from .core import Scenario, groups
from .report import Row, markdown_table, print_report, rich_console, rows_as_dicts


def select_groups(only: Iterable[str] | None) -> dict[str, list[Scenario]]:
    found = groups()
    if not only:
        return found
    return {g: s for g, s in found.items() if any(o.lower() in g.lower() for o in only)}


def run_groups(
    selected: dict[str, list[Scenario]], rounds: int = 9, scale: float = 1.0, out: TextIO | None = None,
    plain: bool = False,
) -> list[Row]:
    """Run the given groups; progress goes to ``out`` (default stderr)."""
    stream = out or sys.stderr
    console = rich_console(stderr=True) if out is None and not plain else None
    rows: list[Row] = []
    t0 = time.monotonic()
    progress = task = None
    if console is not None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        progress = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                            TimeElapsedColumn(), console=console, transient=True)
        progress.start()
        task = progress.add_task("bench", total=len(selected))
    try:
        for k, (group, scenarios) in enumerate(selected.items(), 1):
            if progress is not None:
                progress.update(task, description=group)  # type: ignore[arg-type]
            else:
                print(f"  [{k}/{len(selected)}] {group} ... ({time.monotonic() - t0:.0f} s)", file=stream, flush=True)
            present = [s for s in scenarios if s.missing() is None]
            rows.extend(_run_group(group, present, rounds, scale))
            rows.extend(Row(group, s.name, None, s.baseline, f"{s.missing()} not installed") for s in scenarios if s not in present)
            if progress is not None:
                progress.advance(task)  # type: ignore[arg-type]
    finally:
        if progress is not None:
            progress.stop()
    return rows


def _run_group(group: str, scenarios: list[Scenario], rounds: int, scale: float) -> list[Row]:
    made = [(s, *s.make()) for s in scenarios]
    times: dict[str, list[float]] = {s.name: [] for s in scenarios}
    gc_was = gc.isenabled()
    try:
        for s, run, _ in made:
            run(max(1, int(s.ops * scale) // 10))  # warm up, check once
        gc.disable()
        for _ in range(rounds):
            for s, run, _ in made:
                ops = max(1, int(s.ops * scale))
                t0 = time.perf_counter()
                run(ops)
                times[s.name].append((time.perf_counter() - t0) / ops)
    finally:
        if gc_was:
            gc.enable()
        for _, _, close in made:
            close()
    return [Row(group, s.name, statistics.median(times[s.name]), s.baseline, s.note) for s in scenarios]


def main(
    only: list[str] | None,
    quick: bool,
    json_path: str | None = None,
    plot_path: str | None = None,
    plain: bool = False,
    markdown_path: str | None = None,
) -> int:
    selected = select_groups(only)
    if not selected:
        print(f"python -m gocon bench: no scenario group matches {', '.join(only or [])!r}; groups are:", file=sys.stderr)
        for g in groups():
            print(f"  {g}", file=sys.stderr)
        return 2
    if plot_path is not None:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            print("python -m gocon bench: --plot needs matplotlib: pip install 'gocon[bench]'", file=sys.stderr)
            return 2
    print("gocon bench: interleaved rounds, medians, ratios to each group's same-run baseline", file=sys.stderr)
    rows = run_groups(selected, rounds=5 if quick else 9, scale=0.25 if quick else 0.6, plain=plain)
    print_report(rows, plain=plain)
    if json_path is not None:
        with open(json_path, "w", encoding="utf-8") as f:
            json.dump(rows_as_dicts(rows), f, indent=2)
        print(f"wrote {json_path}", file=sys.stderr)
    if markdown_path is not None:
        with open(markdown_path, "w", encoding="utf-8") as f:
            f.write(markdown_table(rows))
        print(f"wrote {markdown_path}", file=sys.stderr)
    if plot_path is not None:
        _plot(rows, plot_path)
        print(f"wrote {plot_path}", file=sys.stderr)
    return 0


def _plot(rows: list[Row], path: str) -> None:
    """A bar chart of each scenario's ratio to its group's baseline (the
    baselines themselves are the line at 1.0), grouped, values printed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = [d for d in rows_as_dicts(rows) if d["ratio"] is not None and not d["baseline"]]
    ys: list[float] = []
    labels: list[str] = []
    y = 0.0
    last = None
    for d in data:
        if d["group"] != last:
            y += 0.6 if last is not None else 0.0
            last = d["group"]
        ys.append(y)
        group = d["group"] if len(d["group"]) <= 48 else d["group"][:47] + "…"
        labels.append(f"{d['scenario']}  ·  {group}")
        y += 1
    values: list[Any] = [d["ratio"] for d in data]
    fig, ax = plt.subplots(figsize=(12, 0.3 * y + 1.6))
    colours = ["#3b6fb6" if d["scenario"].startswith("gocon") else "#b0b0b0" for d in data]
    ax.barh(ys, values, color=colours, height=0.8)
    for yy, v in zip(ys, values):
        ax.text(v * 1.06, yy, f"{v:.3g}x", va="center", fontsize=7)
    ax.set_yticks(ys, labels, fontsize=7)
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_xlim(right=max(values) * 3)
    ax.set_xlabel("time relative to the group's stdlib baseline (1.0, the line): lower is faster; log scale")
    ax.set_title("gocon bench: medians of interleaved rounds; gocon in blue, peers and alternatives in grey", fontsize=9)
    ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
