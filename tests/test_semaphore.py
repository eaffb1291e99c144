"""Semaphore: the contract and x/sync/semaphore's test behaviours."""

from __future__ import annotations

import asyncio
import random
import threading

import anyio
import pytest

from conftest import wait_until
from gocon import Canceled, Semaphore, background, with_cancel, with_timeout
from gocon.semaphore import SemaphoreStatistics


def spawn(fn, *args):
    t = threading.Thread(target=fn, args=args, daemon=True)
    t.start()
    return t


def test_acquire_release_and_statistics():
    s = Semaphore(5)
    s.acquire(3)
    assert s.statistics() == SemaphoreStatistics(size=5, held=3, waiters=0)
    assert s.try_acquire(2) and not s.try_acquire(1)
    s.release(5)
    with s:
        assert s.statistics().held == 1
    assert s.statistics().held == 0
    assert "size=5 held=0" in repr(s)


@pytest.mark.parametrize(
    ("size", "exc"), [(0, ValueError), (-1, ValueError), (1.5, TypeError), ("2", TypeError), (True, TypeError)]
)
def test_bad_size(size, exc):
    with pytest.raises(exc):
        Semaphore(size)


def test_bad_n_and_over_release():
    s = Semaphore(2)
    with pytest.raises(ValueError, match="would never succeed"):
        s.acquire(3)  # at once, where Go would block until ctx ends
    with pytest.raises(ValueError):
        s.try_acquire(-1)
    with pytest.raises(TypeError):
        s.acquire(1.0)
    s.acquire(1)
    with pytest.raises(ValueError, match="only 1 are held"):
        s.release(2)
    assert s.statistics().held == 1  # nothing changed
    s.release(1)


@pytest.mark.parametrize("n", [2**70, -(2**70), -1, True, None, "1", 1.0])
def test_bad_n_everywhere_is_rejected_and_changes_nothing(n):
    # The counter is native: whatever Python passes, a clear exception and
    # an unchanged semaphore, from every entry point.
    s = Semaphore(3)
    s.acquire(1)
    for call in (s.acquire, s.try_acquire, s.release, lambda n: s.acquire(n, ctx=background())):
        with pytest.raises((TypeError, ValueError), match=r"n must be|never succeed|can be held"):
            call(n)
    assert s.statistics() == SemaphoreStatistics(size=3, held=1, waiters=0)
    s.release()


def test_bad_timeout_is_rejected_even_when_units_are_free():
    s = Semaphore(1)
    with pytest.raises(ValueError):
        s.acquire(timeout=-1)
    assert s.statistics().held == 0


def test_zero_units_queue_behind_a_waiter():
    # acquire(0) succeeds at once, unless a waiter is queued: FIFO holds for
    # every request (Go's semaphore behaves the same way).
    s = Semaphore(1)
    s.acquire(0)
    s.acquire(1)
    t = spawn(s.acquire, 1)
    wait_until(lambda: s.statistics().waiters == 1)
    assert not s.try_acquire(0)
    s.release(1)
    t.join(5)
    assert not t.is_alive() and s.statistics() == SemaphoreStatistics(1, 1, 0)
    s.release(1)


def test_fifo_large_request_is_not_starved():
    # Go's TestLargeAcquireDoesntStarve: small acquirers keep coming, but a
    # waiting large request blocks them until it is served.
    s = Semaphore(10)
    s.acquire(1)
    got_big = threading.Event()
    t = spawn(lambda: (s.acquire(10), got_big.set(), s.release(10)))
    wait_until(lambda: s.statistics().waiters == 1)
    assert not s.try_acquire(1)  # a waiter is queued: no barging even though 9 are free
    small_done = []
    t2 = spawn(lambda: (s.acquire(1), small_done.append(1), s.release(1)))
    wait_until(lambda: s.statistics().waiters == 2)
    assert not got_big.is_set() and not small_done
    s.release(1)
    t.join(5)
    t2.join(5)
    assert got_big.is_set() and small_done == [1]


def test_timed_out_head_waiter_wakes_the_next():
    # asyncio gh-90155 / embassy #6964: a head waiter that gives up must let
    # the waiters behind it through if they fit now.
    s = Semaphore(2)
    s.acquire(1)
    with pytest.raises(TimeoutError):
        s.acquire(2, timeout=0.05)
    assert s.statistics() == SemaphoreStatistics(2, 1, 0)

    res = []
    t_big = spawn(lambda: res.append(("big", _try(lambda: s.acquire(2, timeout=0.2)))))
    wait_until(lambda: s.statistics().waiters == 1)
    t_small = spawn(lambda: res.append(("small", _try(lambda: s.acquire(1, timeout=5)))))
    wait_until(lambda: s.statistics().waiters == 2)
    t_big.join(5)  # the big one times out at the head ...
    t_small.join(5)  # ... and the small one, which fits, is served at once
    assert ("big", "timeout") in res and ("small", "ok") in res
    assert s.statistics() == SemaphoreStatistics(2, 2, 0)
    s.release(2)


def _try(fn):
    try:
        fn()
        return "ok"
    except TimeoutError:
        return "timeout"


def test_ctx_ends_a_waiting_acquire():
    s = Semaphore(1)
    s.acquire()
    ctx, cancel = with_cancel(background())
    threading.Timer(0.02, cancel).start()
    with pytest.raises(Canceled):
        s.acquire(ctx=ctx)
    assert s.statistics() == SemaphoreStatistics(1, 1, 0)
    with pytest.raises(Canceled):
        s.acquire(ctx=ctx)  # already done
    d, cd = with_timeout(background(), 0.01)
    with pytest.raises(TimeoutError):  # DeadlineExceeded is a TimeoutError
        s.acquire(ctx=d)
    cd()
    s.release()


@pytest.mark.anyio
async def test_async_acquire_cancelled_holds_nothing():
    s = Semaphore(1)
    await s.acquire_async()
    with anyio.move_on_after(0.01):
        await s.acquire_async()
    assert s.statistics() == SemaphoreStatistics(1, 1, 0)
    with pytest.raises(TimeoutError):
        await s.acquire_async(timeout=0.01)
    s.release()
    async with s:
        assert s.statistics().held == 1
    assert s.statistics().held == 0


@pytest.mark.anyio
async def test_threads_and_tasks_share_one_semaphore():
    s = Semaphore(2)
    inside = []
    peak = [0]
    lock = threading.Lock()

    def enter():
        with lock:
            inside.append(1)
            peak[0] = max(peak[0], len(inside))

    def leave():
        with lock:
            inside.pop()

    def thread_user():
        for _ in range(200):
            with s:
                enter()
                leave()

    async def task_user():
        for _ in range(200):
            async with s:
                enter()
                await anyio.sleep(0)
                leave()

    ts = [spawn(thread_user) for _ in range(2)]
    async with anyio.create_task_group() as tg:
        for _ in range(3):
            tg.start_soon(task_user)
    await anyio.to_thread.run_sync(lambda: [t.join() for t in ts])
    assert peak[0] <= 2
    assert s.statistics() == SemaphoreStatistics(2, 0, 0)


def test_weighted_stress_with_random_cancellations():
    """Many weighted acquirers (threads, asyncio, trio) with random timeouts
    and cancellations: held never exceeds size, and returns to 0."""
    size = 10
    s = Semaphore(size)
    held = [0]
    lock = threading.Lock()
    errors = []

    def use(n):
        with lock:
            held[0] += n
            if held[0] > size:
                errors.append(f"held {held[0]} > {size}")
        with lock:
            held[0] -= n

    def thread_worker(seed):
        rng = random.Random(seed)
        for _ in range(400):
            n = rng.randint(1, size)
            try:
                s.acquire(n, timeout=rng.choice((None, 0, 0.0005)))
            except TimeoutError:
                continue
            use(n)
            s.release(n)

    async def task_worker(seed):
        rng = random.Random(seed)
        for _ in range(300):
            n = rng.randint(1, size)
            got = False
            with anyio.move_on_after(rng.choice((0, 0.0005, 0.01))):
                await s.acquire_async(n)
                got = True
            if got:
                use(n)
                await anyio.sleep(0)
                s.release(n)

    async def native_worker(seed):
        rng = random.Random(seed)
        for _ in range(300):
            n = rng.randint(1, size)
            try:
                await asyncio.wait_for(s.acquire_async(n), rng.choice((0.0005, 0.01)))
            except TimeoutError:
                continue
            use(n)
            s.release(n)

    async def group(worker, k):
        async with anyio.create_task_group() as tg:
            for j in range(3):
                tg.start_soon(worker, 100 * k + j)

    import trio

    ts = [spawn(thread_worker, i) for i in range(3)]
    ts.append(spawn(lambda: asyncio.run(group(task_worker, 1))))
    ts.append(spawn(lambda: asyncio.run(group(native_worker, 2))))
    ts.append(spawn(lambda: trio.run(group, task_worker, 3)))
    for t in ts:
        t.join(120)
    assert errors == []
    assert s.statistics() == SemaphoreStatistics(size, 0, 0)
    assert len(s._waiters) == s._dead  # nothing live left queued
