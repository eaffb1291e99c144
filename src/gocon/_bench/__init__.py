"""Benchmark scenarios, defined once.

``benchmarks/`` (pytest-benchmark) and ``python -m gocon bench`` run the same
scenario objects. A scenario's ``run(ops)`` performs ``ops`` operations and
checks their result, so a broken implementation cannot look fast; each group
has a baseline measured in the same run, and results are read as ratios.
"""

from __future__ import annotations

from .core import Scenario, all_scenarios, groups

__all__ = ["Scenario", "all_scenarios", "groups"]
