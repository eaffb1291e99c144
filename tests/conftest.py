from __future__ import annotations
pytest_plugins = ["pytester"]

import gc

import pytest

from gocon import _victim


@pytest.fixture(autouse=True)
def _restore_flip_interval():
    """Tests may change the victim policy's rate limit; put it back."""
    before = _victim.min_flip_interval()
    yield
    _victim.set_min_flip_interval(before)


@pytest.fixture
def no_gc():
    """Keep automatic collections (and so automatic flips) out of a test."""
    was = gc.isenabled()
    gc.disable()
    yield
    if was:
        gc.enable()


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request):
    """Every async test runs on both backends (anyio's pytest plugin)."""
    return request.param


def wait_until(predicate, timeout=5.0):
    """Poll observable state that has no event of its own (e.g. "a thread is
    now parked in recv"). Bounded; fails loudly instead of hanging."""
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.001)


@pytest.fixture(autouse=True)
def _short_worker_idle(monkeypatch):
    """Idle gocon workers retire quickly, so the leak check below is fast."""
    from gocon import _workers

    monkeypatch.setattr(_workers, "IDLE_SECONDS", 0.05)


@pytest.fixture(autouse=True)
def _no_stray_threads_or_timers():
    """A test must not leave gocon waiters' helper threads or timers behind."""
    import threading

    from gocon import _timers

    before = set(threading.enumerate())
    yield
    wait_until(lambda: _timers.pending() == 0, timeout=5.0)
    def strays():
        # Worker threads that event loops keep in their own caches (trio's
        # thread cache, asyncio's default executor) are theirs, not ours.
        return [
            t
            for t in set(threading.enumerate()) - before
            if t.is_alive() and not t.name.startswith(("Trio thread", "asyncio_", "AnyIO worker"))
        ]

    try:
        wait_until(lambda: not strays(), timeout=5.0)
    except AssertionError:
        raise AssertionError(f"threads left running: {strays()}") from None
