"""Chan and select: the contract, and the behaviours Go's runtime/chan_test.go checks."""

from __future__ import annotations

import asyncio
import collections
import threading

import anyio
import pytest

from conftest import wait_until
from gocon import Chan, ChanStatistics, Closed, default, select, select_async

CAPS = [0, 1, 5]


def stats(ch) -> ChanStatistics:
    return ch.statistics()


def spawn(fn, *args):
    t = threading.Thread(target=fn, args=args, daemon=True)
    t.start()
    return t


# ---- basic semantics (threads) ------------------------------------------------


@pytest.mark.parametrize("cap", CAPS)
def test_recv_from_empty_blocks_and_send_to_full_blocks(cap):
    ch = Chan(cap)
    with pytest.raises(TimeoutError):
        ch.recv(timeout=0.02)
    for i in range(cap):
        ch.send(i)
    with pytest.raises(TimeoutError):
        ch.send(99, timeout=0.02)
    assert len(ch) == cap
    assert [ch.recv() for _ in range(cap)] == list(range(cap))
    assert stats(ch) == ChanStatistics(0, cap, 0, 0, False)


@pytest.mark.parametrize("cap", CAPS)
def test_fifo_between_threads(cap):
    ch = Chan(cap)
    n = 2000

    def produce():
        for i in range(n):
            ch.send(i)
        ch.close()

    t = spawn(produce)
    assert list(ch) == list(range(n))
    t.join()


def test_rendezvous_send_waits_for_a_receiver():
    ch = Chan()
    delivered = threading.Event()

    def sender():
        ch.send("x")
        delivered.set()

    t = spawn(sender)
    wait_until(lambda: stats(ch).senders_waiting == 1)
    assert not delivered.is_set() and len(ch) == 0
    assert ch.recv() == "x"
    t.join()
    assert delivered.is_set()


@pytest.mark.parametrize("cap", CAPS)
def test_close_delivers_buffered_values_then_reports_closed(cap):
    ch = Chan(cap)
    for i in range(cap):
        ch.send(i)
    ch.close()
    assert ch.closed
    assert [ch.recv() for _ in range(cap)] == list(range(cap))
    with pytest.raises(Closed):
        ch.recv()
    assert ch.recv_ok() == (None, False)
    with pytest.raises(Closed):
        ch.send(1)
    with pytest.raises(Closed):
        ch.close()


@pytest.mark.parametrize("cap", CAPS)
def test_close_wakes_every_blocked_receiver(cap):
    ch = Chan(cap)
    results = []
    threads = [spawn(lambda: results.append(ch.recv_ok())) for _ in range(4)]
    wait_until(lambda: stats(ch).receivers_waiting == 4)
    ch.close()
    for t in threads:
        t.join()
    assert results == [(None, False)] * 4


def test_close_makes_blocked_senders_raise_closed():
    ch = Chan()
    errors = []

    def sender():
        try:
            ch.send(1)
        except Closed as e:
            errors.append(e)

    threads = [spawn(sender) for _ in range(3)]
    wait_until(lambda: stats(ch).senders_waiting == 3)
    ch.close()
    for t in threads:
        t.join()
    assert len(errors) == 3
    assert stats(ch).senders_waiting == 0


@pytest.mark.parametrize("cap", CAPS)
def test_many_producers_and_consumers_each_value_once(cap):
    ch = Chan(cap)
    n_prod, n_cons, per = 4, 4, 2500
    got = [[] for _ in range(n_cons)]

    def produce(k):
        for i in range(per):
            ch.send(k * per + i)

    def consume(k):
        for v in ch:
            got[k].append(v)

    consumers = [spawn(consume, k) for k in range(n_cons)]
    producers = [spawn(produce, k) for k in range(n_prod)]
    for t in producers:
        t.join()
    ch.close()
    for t in consumers:
        t.join()
    allv = [v for g in got for v in g]
    assert sorted(allv) == list(range(n_prod * per))
    for g in got:  # per-producer order is preserved for each consumer
        for k in range(n_prod):
            mine = [v for v in g if v // per == k]
            assert mine == sorted(mine)


def test_len_capacity_repr_statistics():
    ch: Chan[int] = Chan[int](3)
    ch.send(1)
    assert len(ch) == 1 and ch.capacity == 3 and not ch.closed
    assert "capacity=3 buffered=1 open" in repr(ch)
    assert stats(ch) == ChanStatistics(buffered=1, capacity=3, senders_waiting=0, receivers_waiting=0, closed=False)


@pytest.mark.parametrize(
    ("cap", "exc"), [(-1, ValueError), (1.5, TypeError), ("2", TypeError), (True, TypeError), (None, TypeError)]
)
def test_bad_capacity(cap, exc):
    with pytest.raises(exc, match="capacity"):
        Chan(cap)


@pytest.mark.parametrize(("timeout", "exc"), [(-1, ValueError), ("1", TypeError), (float("nan"), ValueError)])
def test_bad_timeout(timeout, exc):
    ch = Chan(1)
    with pytest.raises(exc, match="timeout"):
        ch.send(1, timeout=timeout)
    with pytest.raises(exc, match="timeout"):
        ch.recv(timeout=timeout)
    with pytest.raises(exc, match="timeout"):
        select(ch.recv, timeout=timeout)
    assert len(ch) == 0  # nothing happened


def test_timeout_zero_is_a_poll():
    ch = Chan(1)
    with pytest.raises(TimeoutError):
        ch.recv(timeout=0)
    ch.send(1, timeout=0)
    assert ch.recv(timeout=0) == 1


# ---- select -----------------------------------------------------------------------


def test_select_ready_cases_and_result_shapes():
    a, b, c = Chan(1), Chan(1), Chan(1)
    a.send("a")
    assert select(a.recv, b.recv) == (0, "a")
    b.send("b")
    assert select(a.recv, b.recv_ok) == (1, ("b", True))
    assert select((c.send, 1), a.recv) == (0, None)
    assert c.recv() == 1


def test_select_default_fires_only_when_nothing_is_ready():
    a = Chan(1)
    assert select(default, a.recv) == (-1, None)
    assert select(a.recv, default) == (-1, None)
    a.send(1)
    assert select(default, a.recv) == (1, 1)


def test_select_closed_cases():
    a, b = Chan(), Chan()
    a.close()
    assert select(a.recv) == (0, None)  # fires, so ctx.done().recv works as a case
    assert select(a.recv_ok) == (0, (None, False))
    with pytest.raises(Closed):
        select((a.send, 1), b.recv)


def test_select_blocks_until_exactly_one_case_fires():
    a, b = Chan(), Chan()
    t = spawn(lambda: (wait_until(lambda: stats(a).receivers_waiting == 1), a.send(7)))
    assert select(a.recv, b.recv) == (0, 7)
    t.join()
    # The losing case's waiter was withdrawn: b has nobody waiting.
    assert stats(b) == ChanStatistics(0, 0, 0, 0, False)
    assert stats(a).receivers_waiting == 0


def test_select_fairness_among_ready_cases():
    chans = [Chan(1) for _ in range(3)]
    counts = collections.Counter()
    n = 6000
    for _ in range(n):
        for ch in chans:
            if len(ch) == 0:
                ch.send(1)
        i, _ = select(*(ch.recv for ch in chans))
        counts[i] += 1
    for i in range(3):  # expected 2000 each; 6 sigma is ~220
        assert 1600 < counts[i] < 2400, counts


def test_select_random_send_choice():
    # Go's TestPseudoRandomSend: both sends ready, each chosen about half the time.
    ch = Chan(1)
    counts = collections.Counter()
    for _ in range(4000):
        i, _ = select((ch.send, 0), (ch.send, 1))
        v = ch.recv()
        assert v == i  # case i sends the value i
        counts[v] += 1
    assert 1700 < counts[0] < 2300, counts


def test_select_same_channel_in_several_cases():
    ch = Chan(1)
    counts = collections.Counter()
    for i in range(3000):
        ch.send(i)
        k, v = select(ch.recv, ch.recv_ok, ch.recv)
        assert v in (i, (i, True))
        counts[k] += 1
    assert all(800 < counts[k] < 1200 for k in range(3)), counts
    # Blocked on the same channel twice: one value fires exactly one case.
    t = spawn(lambda: (wait_until(lambda: stats(ch).receivers_waiting == 2), ch.send("x")))
    k, v = select(ch.recv, ch.recv)
    t.join()
    assert v == "x" and k in (0, 1)
    assert stats(ch).receivers_waiting == 0


def test_self_select_never_pairs_with_itself():
    # Go's TestSelfSelect: two threads select {send c; recv c} on a rendezvous
    # channel; a value received must come from the other thread.
    c = Chan()
    n = 1000
    errors = []
    barrier = threading.Barrier(2)

    def run(me):
        barrier.wait()
        for _ in range(n):
            i, v = select((c.send, me), c.recv, timeout=5)
            if i == 1 and v == me:
                errors.append("received own value")

    ts = [spawn(run, 0), spawn(run, 1)]
    for t in ts:
        t.join()
    assert errors == []


@pytest.mark.parametrize(
    "case",
    [42, "x", (1, 2), (Chan().recv, 1), Chan().close, Chan().statistics, (Chan().send,), lambda: None],
)
def test_select_rejects_bad_cases(case):
    with pytest.raises(TypeError, match="select case 1"):
        select(default, case)


def test_select_misc_errors():
    with pytest.raises(TypeError, match="more than one default"):
        select(default, default)
    with pytest.raises(ValueError, match="block forever"):
        select()
    with pytest.raises(TimeoutError):
        select(timeout=0.01)


# ---- event loops ----------------------------------------------------------------


def test_sync_call_that_would_block_inside_an_event_loop_raises():
    ch = Chan(1)

    async def main():
        ch.send(1)  # completes at once: allowed
        assert ch.recv() == 1
        with pytest.raises(RuntimeError, match="event loop"):
            ch.recv()
        with pytest.raises(RuntimeError, match="event loop"):
            select(ch.recv)

    asyncio.run(main())

    import trio

    async def trio_main():
        with pytest.raises(RuntimeError, match="trio"):
            ch.recv()

    trio.run(trio_main)


def test_no_loop_binding_at_creation():
    ch = Chan()  # created with no loop running; then used by two loops in turn

    async def roundtrip():
        async with anyio.create_task_group() as tg:
            tg.start_soon(ch.send_async, 1)
            assert await ch.recv_async() == 1

    asyncio.run(roundtrip())
    asyncio.run(roundtrip())
    anyio.run(roundtrip, backend="trio")


# ---- async ------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("cap", CAPS)
async def test_async_fifo_and_iteration(cap):
    ch = Chan(cap)

    async def produce():
        for i in range(500):
            await ch.send_async(i)
        ch.close()

    async with anyio.create_task_group() as tg:
        tg.start_soon(produce)
        got = [v async for v in ch]
    assert got == list(range(500))


@pytest.mark.anyio
async def test_async_recv_ok_and_closed():
    ch = Chan(1)
    await ch.send_async(1)
    ch.close()
    assert await ch.recv_ok_async() == (1, True)
    assert await ch.recv_ok_async() == (None, False)
    with pytest.raises(Closed):
        await ch.recv_async()
    with pytest.raises(Closed):
        await ch.send_async(2)


@pytest.mark.anyio
async def test_async_timeouts_consume_and_deliver_nothing():
    ch = Chan()
    with pytest.raises(TimeoutError):
        await ch.recv_async(timeout=0.01)
    with pytest.raises(TimeoutError):
        await ch.send_async(1, timeout=0.01)
    assert stats(ch) == ChanStatistics(0, 0, 0, 0, False)
    with pytest.raises(TimeoutError):
        await select_async(ch.recv, (ch.send, 2), timeout=0.01)
    assert stats(ch) == ChanStatistics(0, 0, 0, 0, False)


@pytest.mark.anyio
async def test_cancelled_recv_consumes_nothing():
    ch = Chan()
    with anyio.move_on_after(0.01):
        await ch.recv_async()
    assert stats(ch).receivers_waiting == 0
    # A later value is not swallowed by the cancelled receiver.
    with pytest.raises(TimeoutError):
        await ch.send_async(1, timeout=0.01)
    ch2 = Chan(1)
    with anyio.move_on_after(0.01):
        await ch2.recv_async()
    await ch2.send_async("kept")
    assert await ch2.recv_async() == "kept"


@pytest.mark.anyio
async def test_cancelled_send_delivers_nothing():
    ch = Chan()
    with anyio.move_on_after(0.01):
        await ch.send_async("lost?")
    assert stats(ch).senders_waiting == 0
    with pytest.raises(TimeoutError):
        await ch.recv_async(timeout=0.01)


@pytest.mark.anyio
async def test_async_select_fires_exactly_one_case():
    a, b = Chan(), Chan()

    async def feed():
        await anyio.sleep(0)
        await a.send_async(5)

    async with anyio.create_task_group() as tg:
        tg.start_soon(feed)
        assert await select_async(b.recv, a.recv) == (1, 5)
    assert stats(a).receivers_waiting == 0 and stats(b).receivers_waiting == 0


# ---- across worlds --------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("cap", [0, 4])
async def test_thread_to_task_and_back(cap):
    to_task, to_thread = Chan(cap), Chan(cap)
    n = 300

    def thread():
        for i in range(n):
            to_task.send(i)
            assert to_thread.recv() == i * 2
        to_task.close()

    t = spawn(thread)
    async for v in to_task:
        await to_thread.send_async(v * 2)
    await anyio.to_thread.run_sync(t.join)


def _run_asyncio(coro_fn, *args):
    return asyncio.run(coro_fn(*args))


def _run_trio(coro_fn, *args):
    import trio

    return trio.run(coro_fn, *args)


@pytest.mark.parametrize(("left", "right"), [("asyncio", "trio"), ("trio", "asyncio"), ("asyncio", "asyncio")])
def test_two_event_loops_in_two_threads_ping_pong(left, right):
    ping, pong = Chan(), Chan()
    n = 300
    runners = {"asyncio": _run_asyncio, "trio": _run_trio}
    out = {}

    async def pinger():
        for i in range(n):
            await ping.send_async(i)
            assert await pong.recv_async() == i + 1
        ping.close()
        return "done"

    async def ponger():
        count = 0
        async for v in ping:
            await pong.send_async(v + 1)
            count += 1
        return count

    t1 = spawn(lambda: out.__setitem__("l", runners[left](pinger)))
    t2 = spawn(lambda: out.__setitem__("r", runners[right](ponger)))
    t1.join(30)
    t2.join(30)
    assert out == {"l": "done", "r": n}


def test_select_across_worlds_threads_asyncio_trio():
    a, b, results = Chan(), Chan(), Chan(10)

    async def selector():
        for _ in range(2):
            i, v = await select_async(a.recv, b.recv)
            await results.send_async((i, v))

    t = spawn(_run_trio, selector)
    a.send("from thread")
    asyncio.run(b.send_async("from asyncio"))
    t.join(10)
    assert sorted([results.recv(), results.recv()]) == [(0, "from thread"), (1, "from asyncio")]


def test_waking_a_task_whose_loop_is_closed_does_not_raise_in_the_waker():
    ch = Chan()
    loop = asyncio.new_event_loop()

    async def park():
        await ch.recv_async()

    task = loop.create_task(park())
    for _ in range(100):  # run loop iterations until the task is parked in recv
        if stats(ch).receivers_waiting:
            break
        loop.run_until_complete(asyncio.sleep(0))
    assert stats(ch).receivers_waiting == 1
    loop.close()  # abandons the parked task
    ch.send("nobody", timeout=1)  # claims the dead waiter; the wake must not raise
    assert not task.done()
    task._log_destroy_pending = False  # abandoned on purpose


def test_waking_a_trio_task_whose_run_finished_does_not_raise():
    import trio

    ch = Chan()
    holder = {}

    async def main():
        async def park():
            await ch.recv_async()

        async with trio.open_nursery() as n:
            n.start_soon(park)
            await trio.sleep(0.01)
            holder["entry"] = ch._recvq[0]
            n.cancel_scope.cancel()

    trio.run(main)
    # Forge a late claim on the finished run's waiter, then wake it from this
    # thread (which ran that trio run): nothing may raise.
    w = holder["entry"].waiter
    assert w.claimed  # the cancellation claimed it
    w.wake()
