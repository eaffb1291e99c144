"""Interleaved runner behind ``python -m gocon bench``.

Rounds are interleaved across a group's scenarios (A B C, A B C, ...) so that
a noisy neighbour slows all of them alike, and each scenario reports the
median of its rounds; ratios are taken against the group's baselines.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Iterable
from typing import TextIO

from .core import Scenario, groups
from .report import ratio_table


def run_groups(selected: Iterable[str] | None = None, rounds: int = 9, scale: float = 1.0,
               out: TextIO | None = None) -> list[tuple[str, str, float, bool]]:
    """Run the groups whose name contains any of ``selected`` (all if None);
    return rows of (group, scenario, seconds per op, is_baseline)."""
    import sys

    stream = out or sys.stdout
    rows: list[tuple[str, str, float, bool]] = []
    for group, scenarios in groups().items():
        if selected and not any(s.lower() in group.lower() for s in selected):
            continue
        print(f"  {group} ...", file=stream, flush=True)
        rows.extend(_run_group(group, scenarios, rounds, scale))
    return rows


def _run_group(group: str, scenarios: list[Scenario], rounds: int, scale: float) -> list[tuple[str, str, float, bool]]:
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
    return [(group, s.name, statistics.median(times[s.name]), s.baseline) for s in scenarios]


def main(only: list[str] | None, quick: bool) -> int:
    print("gocon bench: interleaved rounds, medians, ratios to each group's same-run baseline")
    rows = run_groups(only, rounds=5 if quick else 11, scale=0.3 if quick else 1.0)
    if not rows:
        print("no scenario group matches " + ", ".join(only or []))
        return 2
    print(ratio_table(rows))
    return 0
