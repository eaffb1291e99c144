"""ErrGroup, WaitGroup and Once: the contract and x/sync/errgroup's test behaviours."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import anyio
import pytest

from conftest import wait_until
from gocon import Canceled, ErrGroup, Once, WaitGroup, background, cause, with_cancel
from gocon import _workers


# ---- WaitGroup ----------------------------------------------------------------


def test_waitgroup_waits_for_every_function():
    wg = WaitGroup()
    out = []
    lock = threading.Lock()

    def work(i):
        time.sleep(0.001)
        with lock:
            out.append(i)

    for i in range(20):
        wg.go(work, i)
    wg.wait(timeout=10)
    assert sorted(out) == list(range(20)) and wg.count == 0
    wg.wait()  # at zero: returns at once


def test_waitgroup_add_done_negative_and_timeout():
    wg = WaitGroup()
    wg.add(2)
    with pytest.raises(TimeoutError):
        wg.wait(timeout=0.01)
    wg.done()
    with pytest.raises(ValueError, match="negative"):
        wg.add(-2)
    assert wg.count == 1  # unchanged
    wg.done()
    wg.wait(timeout=1)
    with pytest.raises(ValueError):
        wg.done()
    with pytest.raises(TypeError):
        wg.add("1")
    with pytest.raises(TypeError):
        wg.go(42)


@pytest.mark.anyio
async def test_waitgroup_async_wait_released_by_a_thread():
    wg = WaitGroup()
    wg.add(1)
    threading.Timer(0.01, wg.done).start()
    await wg.wait_async(timeout=5)
    assert wg.count == 0


def test_waitgroup_can_be_reused():
    wg = WaitGroup()
    for _ in range(3):
        wg.add(1)
        wg.go(lambda: None)
        wg.done()
        wg.wait(timeout=5)


# ---- Once -----------------------------------------------------------------------


def test_once_runs_once_and_concurrent_callers_wait():
    once = Once()
    calls = []
    started = threading.Event()
    release = threading.Event()

    def slow():
        calls.append(1)
        started.set()
        release.wait(5)

    t1 = threading.Thread(target=once.do, args=(slow,))
    t1.start()
    started.wait(5)
    returned = []
    t2 = threading.Thread(target=lambda: (once.do(slow), returned.append(once.done)))
    t2.start()
    wait_until(lambda: once._finished.statistics().receivers_waiting == 1)  # t2 is parked
    assert returned == []
    release.set()
    t1.join(5)
    t2.join(5)
    assert calls == [1] and returned == [True]


def test_once_exception_counts_as_done_and_reaches_the_runner():
    once = Once()

    def boom():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        once.do(boom)
    assert once.done
    once.do(boom)  # not run again, no exception


def test_once_recursive_call_raises_instead_of_deadlocking():
    once = Once()
    with pytest.raises(RuntimeError, match="inside its own function"):
        once.do(lambda: once.do(lambda: None))
    with pytest.raises(TypeError):
        Once().do(3)


@pytest.mark.anyio
async def test_once_async():
    once = Once()
    calls = []

    async def init():
        calls.append(1)
        await anyio.sleep(0.01)

    async with anyio.create_task_group() as tg:
        for _ in range(5):
            tg.start_soon(once.do_async, init)
    assert calls == [1] and once.done


# ---- ErrGroup ----------------------------------------------------------------------


def test_zero_group_returns_first_error_on_every_wait():
    # Go's TestZeroGroup.
    g = ErrGroup()
    err1, err2 = ValueError("1"), KeyError("2")
    g.go(lambda: None)
    g.wait()
    g.go(lambda: (_ for _ in ()).throw(err1))
    with pytest.raises(ValueError) as first:
        g.wait()
    assert first.value is err1
    g.go(lambda: (_ for _ in ()).throw(err2))
    with pytest.raises(ValueError):
        g.wait()  # still the first error
    assert g.errors == [err1, err2]
    assert any("KeyError" in n for n in getattr(err1, "__notes__", []))


def test_with_context_cancels_on_first_error_and_after_wait():
    # Go's TestWithContext.
    g, ctx = ErrGroup.with_context(background())
    seen = []

    def watcher():
        ctx.wait(timeout=5)
        seen.append(type(ctx.err()))

    def fail():
        raise RuntimeError("first")

    g.go(watcher)
    g.go(fail)
    with pytest.raises(RuntimeError, match="first"):
        g.wait()
    assert seen == [Canceled]
    assert isinstance(cause(ctx), RuntimeError)

    g2, ctx2 = ErrGroup.with_context(background())
    g2.go(lambda: None)
    g2.wait()
    assert isinstance(ctx2.err(), Canceled)  # wait() returning cancels it


def test_failure_cancels_only_the_context():
    g, ctx = ErrGroup.with_context()
    finished = []

    def sibling():
        time.sleep(0.05)  # does not watch ctx: keeps running to the end
        finished.append(1)

    g.go(sibling)
    g.go(lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        g.wait()
    assert finished == [1]


def test_limit_bounds_running_functions_and_try_go():
    # Go's TestGoLimit and TestTryGo.
    g = ErrGroup()
    g.set_limit(2)
    running, peak = [0], [0]
    lock = threading.Lock()
    gate = threading.Event()

    def work():
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        gate.wait(5)
        with lock:
            running[0] -= 1

    assert g.try_go(work) and g.try_go(work)
    assert not g.try_go(work)  # both slots busy
    starter = threading.Thread(target=lambda: [g.go(work) for _ in range(3)])
    starter.start()  # go() blocks while the limit is reached
    wait_until(lambda: g._sem.statistics().waiters == 1)  # the starter is parked in go()
    assert peak[0] == 2
    gate.set()
    starter.join(5)
    g.wait(timeout=5)
    assert peak[0] == 2
    busy = threading.Event()
    g.go(busy.wait, 5)
    with pytest.raises(RuntimeError, match="active"):  # not while a function runs
        g.set_limit(3)
    busy.set()
    g.wait()
    g.set_limit(-1)
    assert g.try_go(lambda: None)
    g.wait()


@pytest.mark.parametrize(("n", "exc"), [(0, ValueError), (-2, ValueError), (1.5, TypeError)])
def test_bad_limits(n, exc):
    with pytest.raises(exc):
        ErrGroup().set_limit(n)


def test_bad_callables():
    g = ErrGroup()
    with pytest.raises(TypeError):
        g.go(42)
    with pytest.raises(TypeError):
        g.try_go(None)

    async def coro():
        pass

    with pytest.raises(RuntimeError, match="async with"):
        g.go(coro)
    with pytest.raises(TypeError):
        ErrGroup(executor="pool")


def test_keyboard_interrupt_in_a_worker_is_not_swallowed():
    g = ErrGroup()
    g.go(lambda: (_ for _ in ()).throw(ValueError("ordinary")))

    def interrupt():
        raise KeyboardInterrupt

    g.go(interrupt)
    with pytest.raises(KeyboardInterrupt):
        g.wait()


def test_with_statement_waits_and_raises():
    out = []
    with pytest.raises(ValueError):
        with ErrGroup() as g:
            g.go(lambda: out.append(1))
            g.go(lambda: int("x"))
    assert out == [1]


def test_workers_are_reused_and_exit_when_idle(monkeypatch):
    monkeypatch.setattr(_workers, "IDLE_SECONDS", 0.2)
    g = ErrGroup()
    for _ in range(4):
        g.go(time.sleep, 0.01)
    g.wait()
    before = _workers.workers()
    for _ in range(4):  # warm workers take the next jobs
        g.go(lambda: None)
        g.wait()
    assert _workers.workers() <= before
    wait_until(lambda: _workers.workers() == 0, timeout=5)  # no leaked threads


def test_thread_pool_executor():
    with ThreadPoolExecutor(2) as ex:
        g = ErrGroup(executor=ex)
        for i in range(5):
            g.go(time.sleep, 0.001)
        g.go(int, "x")
        with pytest.raises(ValueError):
            g.wait(timeout=10)


def _square_or_fail(x):
    if x < 0:
        raise ValueError(f"negative: {x}")
    return x * x


def test_process_pool_executor():
    import multiprocessing

    # "spawn": forking a process that runs threads (gocon's workers, the
    # timer thread) can deadlock the child, and 3.12+ warns about it.
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as ex:
        g, ctx = ErrGroup.with_context(executor=ex)
        for x in (1, 2, -3):
            g.go(_square_or_fail, x)
        with pytest.raises(ValueError, match="negative: -3"):
            g.wait(timeout=60)
        assert isinstance(cause(ctx), ValueError)


@pytest.mark.anyio
async def test_async_group_tasks_threads_and_first_error():
    results = []

    async def task(i):
        await anyio.sleep(0.001)
        results.append(("task", i))

    def blocking(i):
        time.sleep(0.01)  # runs in a worker thread: the loop keeps running
        results.append(("thread", i))

    async def fail():
        await anyio.sleep(0.005)
        raise LookupError("task failed")

    g, ctx = ErrGroup.with_context()
    with pytest.raises(LookupError):
        async with g:
            for i in range(3):
                g.go(task, i)
                g.go(blocking, i)
            g.go(fail)
    assert sorted(results) == [("task", i) for i in range(3)] + [("thread", i) for i in range(3)]
    assert isinstance(cause(ctx), LookupError)


@pytest.mark.anyio
async def test_sync_wait_from_another_thread_covers_tasks():
    release = anyio.Event()
    finished = []

    async def task():
        await release.wait()
        finished.append("task")

    waited = []
    async with ErrGroup() as g:
        g.go(task)

        def waiter():
            g.wait(timeout=10)  # from a thread: must wait for the task too
            waited.append(list(finished))

        t = threading.Thread(target=waiter)
        t.start()
        await anyio.sleep(0.01)  # give the thread time to wait (wrongly) too early
        release.set()
    await anyio.to_thread.run_sync(t.join)
    assert waited == [["task"]]


@pytest.mark.anyio
@pytest.mark.parametrize("set_inside", [True, False], ids=["limit set inside", "limit set before"])
async def test_async_group_limit_never_blocks_the_loop(set_inside):
    running, peak = [0], [0]

    async def work():
        running[0] += 1
        peak[0] = max(peak[0], running[0])
        await anyio.sleep(0.005)
        running[0] -= 1

    g = ErrGroup()
    if not set_inside:
        g.set_limit(3)
    async with g:
        if set_inside:
            g.set_limit(3)
        for _ in range(12):
            g.go(work)  # returns at once; the task waits for its slot
        await g.wait_async(timeout=10)
    assert peak[0] == 3


@pytest.mark.anyio
async def test_async_siblings_stop_by_watching_ctx():
    g, ctx = ErrGroup.with_context()
    stopped = []

    async def watcher():
        await ctx.wait_async()
        stopped.append(True)

    async def fail():
        raise OSError("down")

    with pytest.raises(OSError):
        async with g:
            g.go(watcher)
            g.go(fail)
    assert stopped == [True]


@pytest.mark.anyio
async def test_async_group_with_canceled_parent():
    parent, cancel = with_cancel(background())
    cancel()
    g, ctx = ErrGroup.with_context(parent)
    assert isinstance(ctx.err(), Canceled)
    async with g:
        pass


def test_jobs_that_wait_for_each_other_never_starve(monkeypatch):
    # More mutually dependent functions than the pool's soft cap: the
    # starvation watchdog must keep adding workers until all run at once.
    monkeypatch.setattr(_workers, "SOFT_CAP", 2)
    n = 7
    barrier = threading.Barrier(n, timeout=10)
    g = ErrGroup()
    for _ in range(n):
        g.go(barrier.wait)
    g.wait(timeout=20)
    assert not barrier.broken


@pytest.mark.anyio
async def test_async_body_exception_propagates_as_itself():
    g, ctx = ErrGroup.with_context()
    with pytest.raises(KeyError):
        async with g:
            g.go(ctx.wait_async)  # stops when the body's failure cancels ctx
            raise KeyError("body")
    assert isinstance(cause(ctx), KeyError)


@pytest.mark.anyio
async def test_running_tasks_may_start_siblings_while_the_group_exits():
    # Go lets a goroutine call g.Go while Wait is waiting; here the body has
    # ended and __aexit__ is waiting when the parent task starts its children.
    seen = []

    async def child(i):
        await anyio.sleep(0)
        if i == 2:
            raise ValueError("late child")
        seen.append(i)

    body_done = anyio.Event()

    async def parent():
        await body_done.wait()  # set as the body's last step: __aexit__ runs now
        for i in range(4):
            g.go(child, i)

    with pytest.raises(ValueError, match="late child"):
        async with ErrGroup() as g:
            g.go(parent)
            body_done.set()
    assert sorted(seen) == [0, 1, 3]


@pytest.mark.anyio
async def test_tasks_cancelled_before_they_ran_are_not_counted_as_active():
    with anyio.CancelScope() as scope:
        async with ErrGroup() as g:
            for _ in range(5):
                g.go(anyio.sleep, 10)
            scope.cancel()  # the tasks never get to run
    assert scope.cancelled_caught
    assert "active=0" in repr(g)
    await g.wait_async(timeout=5)  # returns at once: nothing is left to wait for


@pytest.mark.anyio
async def test_cancelled_group_cancels_ctx_and_waits_for_its_threads():
    # A thread cannot be interrupted: the group's ctx tells it to stop, and
    # the cancelled `async with` still waits for it before it propagates.
    started, finished = threading.Event(), threading.Event()

    def worker(ctx):
        started.set()
        ctx.wait(timeout=10)  # returns as soon as the group's ctx ends
        time.sleep(0.05)  # stands for winding down: the exit must outlast it
        finished.set()

    g, ctx = ErrGroup.with_context()
    with anyio.CancelScope() as scope:
        async with g:
            g.go(worker, ctx)
            await anyio.to_thread.run_sync(started.wait, 10)
            scope.cancel()
            await anyio.sleep(10)
    assert scope.cancelled_caught
    assert finished.is_set()  # waited for, and stopped early through ctx
    assert ctx.err() is not None


@pytest.mark.anyio
async def test_a_thread_that_fails_while_its_group_is_cancelled_is_recorded():
    # The worker fails only once the cancellation has begun: the group
    # cancels its ctx when the body is cancelled, and that releases it.
    started = threading.Event()

    def worker(ctx):
        started.set()
        ctx.wait(timeout=10)
        raise KeyError("failed during the cancellation")

    g, ctx = ErrGroup.with_context()
    with anyio.CancelScope() as scope:
        async with g:
            g.go(worker, ctx)
            await anyio.to_thread.run_sync(started.wait, 10)
            scope.cancel()
            await anyio.sleep(10)
    assert ctx.err() is not None
    assert [type(e) for e in g.errors] == [KeyError]

