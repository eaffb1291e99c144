"""Scenarios for Semaphore and ErrGroup against the stdlib."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from ..errgroup import ErrGroup
from ..semaphore import Semaphore
from .core import Scenario, register, simple

G1 = "semaphore acquire+release, one thread"


def _thread_semaphore(kind: str, size: int) -> tuple[Any, Any, Callable[[], int]]:
    """(acquire, release, units free now) for a thread-side semaphore."""
    if kind == "threading":
        t = threading.Semaphore(size)
        return t.acquire, t.release, lambda: t._value  # type: ignore[attr-defined]
    if kind == "aiologic":
        import aiologic

        a = aiologic.Semaphore(size)
        return a.green_acquire, a.green_release, lambda: a.value  # type: ignore[no-any-return]
    g = Semaphore(size)
    return g.acquire, g.release, lambda: size - g.statistics().held


def _sem_one_thread(kind: str) -> Any:
    acquire, release, free = _thread_semaphore(kind, 4)

    def run(ops: int) -> None:
        for _ in range(ops):
            acquire()
            release()
        if free() != 4:
            raise AssertionError("units leaked")

    return simple(run)


register(Scenario(G1, "threading.Semaphore", lambda: _sem_one_thread("threading"), ops=50_000, baseline=True))
register(Scenario(G1, "aiologic.Semaphore", lambda: _sem_one_thread("aiologic"), ops=50_000, requires="aiologic"))
register(Scenario(G1, "gocon.Semaphore", lambda: _sem_one_thread("gocon"), ops=50_000))

G2 = "semaphore acquire+release, one asyncio task"


def _sem_asyncio(kind: str) -> Any:
    def run(ops: int) -> None:
        async def main() -> None:
            if kind == "asyncio":
                s: Any = asyncio.Semaphore(4)
                acquire, release = s.acquire, s.release
            elif kind == "aiologic":
                import aiologic

                s = aiologic.Semaphore(4)
                acquire, release = s.async_acquire, s.async_release
            else:
                s = Semaphore(4)
                acquire, release = s.acquire_async, s.release
            for _ in range(ops):
                await acquire()
                release()

        asyncio.run(main())

    return simple(run)


register(Scenario(G2, "asyncio.Semaphore", lambda: _sem_asyncio("asyncio"), ops=50_000, baseline=True))
register(Scenario(G2, "aiologic.Semaphore", lambda: _sem_asyncio("aiologic"), ops=50_000, requires="aiologic"))
register(Scenario(G2, "gocon.Semaphore", lambda: _sem_asyncio("gocon"), ops=50_000))

G3 = "4 threads on a semaphore of 2"


def _sem_contended(kind: str) -> Any:
    def run(ops: int) -> None:
        acquire, release, free = _thread_semaphore(kind, 2)
        inside = [0]
        bad: list[int] = []

        def worker() -> None:
            for _ in range(ops // 4):
                acquire()
                inside[0] += 1
                if inside[0] > 2:
                    bad.append(inside[0])
                inside[0] -= 1
                release()

        ts = [threading.Thread(target=worker) for _ in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        if bad:
            raise AssertionError(f"{max(bad)} holders of a semaphore of 2")
        if free() != 2:
            raise AssertionError("units leaked")

    return simple(run)


register(Scenario(G3, "threading.Semaphore(2)", lambda: _sem_contended("threading"), ops=40_000, baseline=True))
register(Scenario(G3, "aiologic.Semaphore(2)", lambda: _sem_contended("aiologic"), ops=40_000, requires="aiologic"))
register(Scenario(G3, "gocon.Semaphore(2)", lambda: _sem_contended("gocon"), ops=40_000))

G4 = "spawn+join async tasks"


def _spawn(kind: str) -> Any:
    def run(ops: int) -> None:
        done = [0]

        async def job() -> None:
            done[0] += 1

        async def main() -> None:
            if kind == "taskgroup":
                async with asyncio.TaskGroup() as tg:
                    for _ in range(ops):
                        tg.create_task(job())
            elif kind == "anyio":
                import anyio

                async with anyio.create_task_group() as atg:
                    for _ in range(ops):
                        atg.start_soon(job)
            else:
                async with ErrGroup() as g:
                    for _ in range(ops):
                        g.go(job)

        asyncio.run(main())
        if done[0] != ops:
            raise AssertionError(f"{done[0]} of {ops} tasks ran")

    return simple(run)


register(Scenario(G4, "asyncio.TaskGroup", lambda: _spawn("taskgroup"), ops=2_000, baseline=True))
register(Scenario(G4, "anyio task group", lambda: _spawn("anyio"), ops=2_000))
register(Scenario(G4, "gocon.ErrGroup", lambda: _spawn("errgroup"), ops=2_000))

G5 = "2,000 sync calls in a group"


def _calls(kind: str) -> Any:
    def run(ops: int) -> None:
        hits = [0]
        lock = threading.Lock()

        def job() -> None:
            with lock:
                hits[0] += 1

        if kind == "executor":
            with ThreadPoolExecutor() as ex:
                for f in [ex.submit(job) for _ in range(ops)]:
                    f.result()
        else:
            g = ErrGroup()
            for _ in range(ops):
                g.go(job)
            g.wait()
        if hits[0] != ops:
            raise AssertionError(f"{hits[0]} of {ops} calls ran")

    return simple(run)


register(Scenario(G5, "fresh ThreadPoolExecutor, submit+result", lambda: _calls("executor"), ops=2_000, baseline=True))
register(Scenario(G5, "gocon.ErrGroup go+wait", lambda: _calls("errgroup"), ops=2_000))


G6 = "gocon.debug cost: thread -> thread Chan(128) and Semaphore(2) by 4 threads"


def _debug_cost(mode: str) -> Any:
    from .. import debug
    from .chan import _chan128, _thread_pipe

    pipe = _thread_pipe(_chan128)[0]
    contended = _sem_contended("gocon")[0]

    def run(ops: int) -> None:
        if mode != "off":
            debug.enable(stacks=(mode == "stacks"))
        try:
            pipe(ops)
            contended(ops)
        finally:
            if mode != "off":
                debug.disable()
                debug.reset_profile()

    return simple(run)


register(Scenario(G6, "debug disabled", lambda: _debug_cost("off"), ops=20_000, baseline=True))
register(Scenario(G6, "debug enabled, no stacks", lambda: _debug_cost("nostacks"), ops=20_000))
register(Scenario(G6, "debug enabled, stacks", lambda: _debug_cost("stacks"), ops=20_000))
