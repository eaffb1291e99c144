"""Conservation under fire: producers and consumers in threads, asyncio and
trio, with random timeouts and cancellations; every item is received exactly
once and no waiter is left registered."""

from __future__ import annotations

import asyncio
import random
import threading

import anyio
import pytest

from gocon import Chan, ChanStatistics, Closed, select, select_async

N_ITEMS = 120_000
WORLDS = ("thread", "asyncio", "trio", "asyncio-native")


class Ledger:
    """Which items each consumer received (appends are atomic)."""

    def __init__(self) -> None:
        self.got: list[int] = []


def _ids(k: int, n_producers: int) -> range:
    return range(k, N_ITEMS, n_producers)


def thread_producer(ch: Chan[int], ids: range, seed: int) -> None:
    rng = random.Random(seed)
    for v in ids:
        while True:
            try:
                if rng.random() < 0.3:
                    ch.send(v, timeout=rng.choice((0, 0.0001, 0.001)))
                else:
                    ch.send(v)
                break
            except TimeoutError:
                continue  # nothing was sent: send it again


def thread_consumer(ch: Chan[int], ledger: Ledger, seed: int) -> None:
    rng = random.Random(seed)
    while True:
        try:
            if rng.random() < 0.3:
                v, ok = ch.recv_ok(timeout=rng.choice((0, 0.0001, 0.001)))
            elif rng.random() < 0.1:
                _, (v, ok) = select(ch.recv_ok, timeout=0.001)
            else:
                v, ok = ch.recv_ok()
        except TimeoutError:
            continue  # nothing was consumed
        if not ok:
            return
        ledger.got.append(v)


async def async_producer(ch: Chan[int], ids: range, seed: int) -> None:
    rng = random.Random(seed)
    for v in ids:
        while True:
            r = rng.random()
            if r < 0.15:
                # A cancellation: either the send happened, or nothing did.
                sent = False
                with anyio.move_on_after(rng.choice((0, 0.0001, 0.001))):
                    await ch.send_async(v)
                    sent = True
                if sent:
                    break
            elif r < 0.3:
                try:
                    await ch.send_async(v, timeout=rng.choice((0, 0.0001, 0.001)))
                    break
                except TimeoutError:
                    pass
            else:
                await ch.send_async(v)
                break
        if rng.random() < 0.05:
            await anyio.sleep(0)


async def async_consumer(ch: Chan[int], ledger: Ledger, seed: int) -> None:
    rng = random.Random(seed)
    while True:
        r = rng.random()
        got = None
        if r < 0.15:
            with anyio.move_on_after(rng.choice((0, 0.0001, 0.001))):
                got = await ch.recv_ok_async()
        elif r < 0.3:
            try:
                got = await ch.recv_ok_async(timeout=rng.choice((0, 0.0001, 0.001)))
            except TimeoutError:
                pass
        elif r < 0.35:
            try:
                _, got = await select_async(ch.recv_ok, timeout=0.001)
            except TimeoutError:
                pass
        else:
            got = await ch.recv_ok_async()
        if got is None:
            await anyio.sleep(0)
            continue
        v, ok = got
        if not ok:
            return
        ledger.got.append(v)


async def native_producer(ch: Chan[int], ids: range, seed: int) -> None:
    """Plain asyncio cancellation: wait_for (a separate task on 3.11) and
    asyncio.timeout (the same task); a TimeoutError means nothing was sent."""
    rng = random.Random(seed)
    for v in ids:
        while True:
            r = rng.random()
            try:
                if r < 0.2:
                    await asyncio.wait_for(ch.send_async(v), rng.choice((0.0001, 0.001)))
                elif r < 0.4:
                    async with asyncio.timeout(rng.choice((0.0001, 0.001))):
                        await ch.send_async(v)
                else:
                    await ch.send_async(v)
                break
            except TimeoutError:
                continue


async def native_consumer(ch: Chan[int], ledger: Ledger, seed: int) -> None:
    rng = random.Random(seed)
    while True:
        r = rng.random()
        try:
            if r < 0.2:
                v, ok = await asyncio.wait_for(ch.recv_ok_async(), rng.choice((0.0001, 0.001)))
            elif r < 0.3:
                task = asyncio.ensure_future(ch.recv_ok_async())
                await asyncio.sleep(0)
                task.cancel()
                try:
                    v, ok = await task
                except asyncio.CancelledError:
                    continue  # cancelled: nothing was consumed
            else:
                v, ok = await ch.recv_ok_async()
        except TimeoutError:
            continue
        if not ok:
            return
        ledger.got.append(v)


def run_world(world: str, fn, *args) -> None:
    if world == "thread":
        fn(*args)
    elif world.startswith("asyncio"):
        asyncio.run(fn(*args))
    else:
        import trio

        trio.run(fn, *args)


def _as_async_group(fn, jobs):
    async def group():
        async with anyio.create_task_group() as tg:
            for args in jobs:
                tg.start_soon(fn, *args)

    return group


@pytest.mark.timeout(300)
@pytest.mark.parametrize("cap", [0, 16])
def test_every_item_received_exactly_once_across_worlds(cap):
    ch: Chan[int] = Chan(cap)
    # Two producers and two consumers per world; async ones share a loop.
    # (asyncio-native uses asyncio's own cancellation: wait_for, timeout, cancel.)
    n_producers = 2 * len(WORLDS)
    producers = []
    consumers = []
    ledgers = []
    k = 0
    for w_i, world in enumerate(WORLDS):
        p_jobs = [(ch, _ids(k + j, n_producers), 100 * w_i + j) for j in range(2)]
        k += 2
        c_ledgers = [Ledger(), Ledger()]
        ledgers += c_ledgers
        c_jobs = [(ch, c_ledgers[j], 1000 + 100 * w_i + j) for j in range(2)]
        if world == "thread":
            producers += [threading.Thread(target=thread_producer, args=a) for a in p_jobs]
            consumers += [threading.Thread(target=thread_consumer, args=a) for a in c_jobs]
        else:
            prod, cons = (native_producer, native_consumer) if world == "asyncio-native" else (async_producer, async_consumer)
            producers.append(threading.Thread(target=run_world, args=(world, _as_async_group(prod, p_jobs))))
            consumers.append(threading.Thread(target=run_world, args=(world, _as_async_group(cons, c_jobs))))
    for t in consumers + producers:
        t.start()
    for t in producers:
        t.join()
    ch.close()
    for t in consumers:
        t.join()

    got = [v for led in ledgers for v in led.got]
    assert len(got) == N_ITEMS, f"{N_ITEMS - len(got)} items lost" if len(got) < N_ITEMS else "duplicates"
    assert sorted(got) == list(range(N_ITEMS))
    assert all(len(led.got) > 0 for led in ledgers)  # every consumer took part
    assert ch.statistics() == ChanStatistics(0, cap, 0, 0, True)
    assert len(ch._recvq) == 0 and len(ch._sendq) == 0  # no entry left, dead or alive
    with pytest.raises(Closed):
        ch.recv()
