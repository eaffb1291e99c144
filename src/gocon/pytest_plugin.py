"""pytest plugin: fail tests that leave gocon work behind (off unless asked).

    pytest --gocon-leaks            # every test
    @pytest.mark.gocon_leaks        # one test

After each checked test it looks for: operations still blocked on a gocon
primitive (after a short grace period), ErrGroups that started functions but
were never waited for, and BufferPool buffers taken and not returned. A
failing test's message carries ``gocon.debug.dump()``: who is blocked where,
and which line took each missing buffer.
"""

from __future__ import annotations

import io
import time
from typing import Any

import pytest

GRACE_SECONDS = 1.0
SETTLE_SECONDS = 0.1


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("gocon")
    group.addoption(
        "--gocon-leaks",
        action="store_true",
        default=False,
        help="fail tests that leave blocked gocon waiters, un-waited ErrGroups or un-returned buffers",
    )


def pytest_configure(config: Any) -> None:
    config.addinivalue_line(
        "markers", "gocon_leaks: fail this test if it leaves gocon waiters, ErrGroups or buffers behind"
    )


def _outstanding_buffers() -> int:
    from gocon import _victim
    from gocon.bufferpool import BufferPool

    return sum(p.stats()["outstanding"] for p in list(_victim._pools) if isinstance(p, BufferPool))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: Any) -> Any:
    if not (item.config.getoption("--gocon-leaks") or item.get_closest_marker("gocon_leaks")):
        yield
        return
    from gocon import _bufferdebug, debug

    was = debug.enabled()
    debug.enable(stacks=True)
    debug._groups.clear()
    debug._unwaited_collected.clear()
    buffers_before = _outstanding_buffers()
    blocked_before = set(debug._blocked)  # not this test's doing
    outcome = yield
    try:
        ops = _settle(debug, blocked_before)
        problems = []
        if ops:
            problems.append(f"{len(ops)} operation(s) still blocked on gocon primitives")
        groups = [repr(g) for g in list(debug._groups) if g._started and not g._waited]
        groups += debug._unwaited_collected
        if groups:
            problems.append(f"{len(groups)} ErrGroup(s) started functions and were never waited for: {', '.join(groups)}")
        buffers = _outstanding_buffers() - buffers_before
        if buffers > 0:
            problems.append(f"{buffers} BufferPool buffer(s) taken and not returned")
        report = debug.dump(file=io.StringIO()) if problems else ""
    finally:
        if not was:
            debug.disable()
        _bufferdebug.forget()
    if problems and outcome.excinfo is None:
        pytest.fail("gocon leak check: " + "; ".join(problems) + "\n\n" + report, pytrace=False)


def _settle(debug: Any, before: set[int]) -> list[int]:
    """This test's operations still blocked once things settle: a thread the
    test just started may need a moment to reach its blocking call, and one
    that is finishing a moment to leave it. Waits until the set has been
    empty, or unchanged, for SETTLE_SECONDS, at most GRACE_SECONDS."""
    deadline = time.monotonic() + GRACE_SECONDS
    last: list[int] | None = None
    stable_since = time.monotonic()
    while True:
        now = [k for k in list(debug._blocked) if k not in before]
        if now != last:
            last, stable_since = now, time.monotonic()
        elif time.monotonic() - stable_since >= SETTLE_SECONDS and (not now or time.monotonic() >= deadline):
            return now
        if time.monotonic() >= deadline and now:
            return now
        time.sleep(0.01)
