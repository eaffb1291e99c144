"""Plain-text ratio tables for benchmark results."""

from __future__ import annotations

from collections.abc import Iterable


def ratio_table(rows: Iterable[tuple[str, str, float, bool]]) -> str:
    """``rows``: (group, name, seconds per op, is_baseline). Each row's ratio
    is its time over each baseline's time in the same group (lower is faster)."""
    by_group: dict[str, list[tuple[str, float, bool]]] = {}
    for group, name, per_op, base in rows:
        by_group.setdefault(group, []).append((name, per_op, base))
    out: list[str] = []
    for group, items in by_group.items():
        bases = [(n, t) for n, t, b in items if b]
        out.append(f"\n{group}")
        for name, t, _ in items:
            ratios = "  ".join(f"{t / bt:6.3f}x vs {bn}" for bn, bt in bases if bt > 0)
            out.append(f"  {name:<34} {t * 1e9:12.1f} ns/op   {ratios}")
    return "\n".join(out)
