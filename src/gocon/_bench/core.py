"""The Scenario type and the registry of all scenarios."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable

#: Modules whose import registers scenarios.
_MODULES = ("gocon._bench.pool", "gocon._bench.chan", "gocon._bench.groups")


@dataclass
class Scenario:
    """One measured operation.

    ``make()`` prepares state and returns ``(run, close)``: ``run(ops)`` does
    ``ops`` operations and raises ``AssertionError`` if any result is wrong;
    ``close()`` releases what ``make`` started (threads, sockets).
    """

    group: str
    name: str
    make: Callable[[], tuple[Callable[[int], None], Callable[[], None]]]
    ops: int = 10_000  # operations per measured round
    baseline: bool = False  # ratios in the group are taken against baselines
    note: str = ""
    tags: frozenset[str] = field(default_factory=frozenset)
    requires: str | None = None  # a peer library this scenario needs (row says so if missing)

    def missing(self) -> str | None:
        """The name of the required library if it is not installed, else None."""
        if self.requires is None:
            return None
        import importlib.util

        return None if importlib.util.find_spec(self.requires) is not None else self.requires

    @property
    def id(self) -> str:
        return f"{self.group}/{self.name}"


_registry: dict[str, Scenario] = {}


def register(s: Scenario) -> Scenario:
    if s.id in _registry:
        raise ValueError(f"duplicate scenario {s.id}")
    _registry[s.id] = s
    return s


def all_scenarios() -> list[Scenario]:
    for m in _MODULES:
        importlib.import_module(m)
    return list(_registry.values())


def groups() -> dict[str, list[Scenario]]:
    out: dict[str, list[Scenario]] = {}
    for s in all_scenarios():
        out.setdefault(s.group, []).append(s)
    return out


def simple(fn: Callable[[int], None]) -> tuple[Callable[[int], None], Callable[[], None]]:
    """``make`` result for a scenario with nothing to clean up."""
    return fn, lambda: None
