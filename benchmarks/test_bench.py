"""pytest-benchmark front end for the scenarios in gocon._bench.

    pytest benchmarks/ --benchmark-group-by=group
    pytest benchmarks/ -k "bufferpool" --benchmark-min-rounds=15

Each round runs a scenario's ``ops`` operations; the summary at the end
prints ns/op and ratios against the group's baseline from the same run.
"""

from __future__ import annotations

import pytest

from gocon._bench import all_scenarios

SCENARIOS = all_scenarios()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_scenario(benchmark, scenario):
    if scenario.missing():
        pytest.skip(f"{scenario.missing()} is not installed")
    run, close = scenario.make()
    try:
        run(max(1, scenario.ops // 10))  # warm up, and check results once
        benchmark.group = scenario.group
        benchmark.extra_info.update(scenario=scenario.name, ops=scenario.ops, baseline=scenario.baseline)
        benchmark.pedantic(run, args=(scenario.ops,), rounds=15, iterations=1, warmup_rounds=1)
    finally:
        close()
