"""Print, after a benchmark run, each group's medians as ratios to the group's
baseline(s) measured in the same run (pytest-benchmark itself only compares
against saved runs)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: Any, config: Any) -> None:
    session = getattr(config, "_benchmarksession", None)
    if session is None or getattr(session, "disabled", True) or not session.benchmarks:
        return
    from gocon._bench.report import ratio_table

    rows = []
    for bench in session.benchmarks:
        info = bench.extra_info
        if "ops" not in info:
            continue
        rows.append((bench.group, info["scenario"], bench.stats.median / info["ops"], info["baseline"], ""))
    terminalreporter.write_sep("=", "gocon: median ns/op and ratio to the same-run baseline")
    terminalreporter.write_line(ratio_table(rows))
