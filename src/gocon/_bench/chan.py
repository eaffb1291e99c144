"""Scenarios for Chan and select against the stdlib and trio."""

from __future__ import annotations

import asyncio
import queue
import threading
from typing import Any, Callable

from ..chan import Chan
from .._select import select
from .core import Scenario, register, simple

OPS = 20_000


def _expect(total: int, ops: int) -> None:
    if total != ops * (ops - 1) // 2:
        raise AssertionError(f"items lost or duplicated: sum {total} != {ops * (ops - 1) // 2}")


def _thread_pipe(make: Callable[[], tuple[Callable[[Any], None], Callable[[], Any]]]) -> Any:
    """A producer thread sends 0..ops-1; this thread receives and checks them."""

    def run(ops: int) -> None:
        put, get = make()
        t = threading.Thread(target=lambda: [put(i) for i in range(ops)])
        t.start()
        total = 0
        for _ in range(ops):
            total += get()
        t.join()
        _expect(total, ops)

    return simple(run)


G1 = "1 producer -> 1 consumer thread, capacity 128"


def _qq() -> tuple[Any, Any]:
    q: queue.Queue[int] = queue.Queue(128)
    return q.put, q.get


def _chan128() -> tuple[Any, Any]:
    ch: Chan[int] = Chan(128)
    return ch.send, ch.recv


def _aiologic128() -> tuple[Any, Any]:
    import aiologic

    q: Any = aiologic.Queue(128)
    return q.green_put, q.green_get


register(Scenario(G1, "queue.Queue(128)", lambda: _thread_pipe(_qq), ops=OPS, baseline=True))
register(Scenario(G1, "aiologic.Queue(128)", lambda: _thread_pipe(_aiologic128), ops=OPS, requires="aiologic"))
register(Scenario(G1, "gocon.Chan(128)", lambda: _thread_pipe(_chan128), ops=OPS))


G2 = "rendezvous ping-pong between two threads"


def _pingpong(make: Callable[[], tuple[Any, Any, Any, Any]]) -> Any:
    def run(ops: int) -> None:
        ping_put, ping_get, pong_put, pong_get = make()

        def echo() -> None:
            for _ in range(ops):
                pong_put(ping_get() + 1)

        t = threading.Thread(target=echo)
        t.start()
        for i in range(ops):
            ping_put(i)
            if pong_get() != i + 1:
                raise AssertionError("wrong reply")
        t.join()

    return simple(run)


def _queues1() -> tuple[Any, Any, Any, Any]:
    a: queue.Queue[int] = queue.Queue(1)
    b: queue.Queue[int] = queue.Queue(1)
    return a.put, a.get, b.put, b.get


def _chans0() -> tuple[Any, Any, Any, Any]:
    a: Chan[int] = Chan()
    b: Chan[int] = Chan()
    return a.send, a.recv, b.send, b.recv


register(Scenario(G2, "2x queue.Queue(1)", lambda: _pingpong(_queues1), ops=5_000, baseline=True))
register(Scenario(G2, "2x gocon.Chan() (rendezvous)", lambda: _pingpong(_chans0), ops=5_000))


G3 = "asyncio task -> task, capacity 128"


def _asyncio_pipe(kind: str) -> Any:
    def run(ops: int) -> None:
        async def main() -> int:
            put: Any
            get: Any
            if kind == "queue":
                q: asyncio.Queue[int] = asyncio.Queue(128)
                put, get = q.put, q.get
            elif kind == "anyio":
                import anyio

                tx, rx = anyio.create_memory_object_stream[int](128)
                put, get = tx.send, rx.receive
            else:
                ch: Chan[int] = Chan(128)
                put, get = ch.send_async, ch.recv_async

            async def produce() -> None:
                for i in range(ops):
                    await put(i)

            t = asyncio.ensure_future(produce())
            total = 0
            for _ in range(ops):
                total += await get()
            await t
            return total

        _expect(asyncio.run(main()), ops)

    return simple(run)


register(Scenario(G3, "asyncio.Queue(128)", lambda: _asyncio_pipe("queue"), ops=OPS, baseline=True))
register(Scenario(G3, "anyio memory object stream(128)", lambda: _asyncio_pipe("anyio"), ops=OPS, requires="anyio"))
register(Scenario(G3, "gocon.Chan(128)", lambda: _asyncio_pipe("chan"), ops=OPS))


G4 = "trio task -> task, capacity 128"


def _trio_pipe(kind: str) -> Any:
    def run(ops: int) -> None:
        import trio

        async def main() -> int:
            if kind == "trio":
                s, r = trio.open_memory_channel[int](128)
                put, get = s.send, r.receive
            else:
                ch: Chan[int] = Chan(128)
                put, get = ch.send_async, ch.recv_async
            total = 0

            async def produce() -> None:
                for i in range(ops):
                    await put(i)

            async with trio.open_nursery() as n:
                n.start_soon(produce)
                for _ in range(ops):
                    total += await get()
            return total

        _expect(trio.run(main), ops)

    return simple(run)


register(Scenario(G4, "trio.open_memory_channel(128)", lambda: _trio_pipe("trio"), ops=OPS, baseline=True,
                  requires="trio"))
register(Scenario(G4, "gocon.Chan(128)", lambda: _trio_pipe("chan"), ops=OPS, requires="trio"))


G5 = "thread -> asyncio task, capacity 128"


def _thread_to_asyncio(kind: str) -> Any:
    def run(ops: int) -> None:
        async def main() -> int:
            loop = asyncio.get_running_loop()
            if kind == "queue":
                # Unbounded: put_nowait on a full bounded queue would raise in the loop.
                q: asyncio.Queue[int] = asyncio.Queue()

                def produce() -> None:
                    # The usual recipe: every item crosses via call_soon_threadsafe.
                    for i in range(ops):
                        loop.call_soon_threadsafe(q.put_nowait, i)

                get = q.get
            elif kind in ("janus", "culsans"):
                import importlib

                mixed = importlib.import_module(kind).Queue(128)  # created inside the loop

                def produce() -> None:
                    for i in range(ops):
                        mixed.sync_q.put(i)

                get = mixed.async_q.get
            elif kind == "aiologic":
                import aiologic

                aq: Any = aiologic.Queue(128)

                def produce() -> None:
                    for i in range(ops):
                        aq.green_put(i)

                get = aq.async_get
            else:
                ch: Chan[int] = Chan(128)

                def produce() -> None:
                    for i in range(ops):
                        ch.send(i)

                get = ch.recv_async
            t = threading.Thread(target=produce)
            t.start()
            total = 0
            for _ in range(ops):
                total += await get()
            await asyncio.to_thread(t.join)
            return total

        _expect(asyncio.run(main()), ops)

    return simple(run)


register(Scenario(G5, "asyncio.Queue + call_soon_threadsafe", lambda: _thread_to_asyncio("queue"), ops=OPS,
                  baseline=True, note="unbounded: call_soon_threadsafe has no backpressure"))
register(Scenario(G5, "janus.Queue(128)", lambda: _thread_to_asyncio("janus"), ops=OPS, requires="janus"))
register(Scenario(G5, "culsans.Queue(128)", lambda: _thread_to_asyncio("culsans"), ops=OPS, requires="culsans"))
register(Scenario(G5, "aiologic.Queue(128)", lambda: _thread_to_asyncio("aiologic"), ops=OPS, requires="aiologic"))
register(Scenario(G5, "gocon.Chan(128)", lambda: _thread_to_asyncio("chan"), ops=OPS))


G6 = "select over two ready receive cases"


def _select_vs_recv(use_select: bool) -> Any:
    a: Chan[int] = Chan(1)
    b: Chan[int] = Chan(1)

    def run(ops: int) -> None:
        send_a, send_b, recv = a.send, b.send, a.recv
        hits = 0
        for i in range(ops):
            if len(a) == 0:
                send_a(i)
            if use_select:
                if len(b) == 0:
                    send_b(i)
                k, _ = select(a.recv, b.recv)
                hits += k
            else:
                recv()
        if use_select and not (ops * 0.35 < hits < ops * 0.65):
            raise AssertionError(f"select is not fair: case 1 fired {hits}/{ops}")

    return simple(run)


register(Scenario(G6, "Chan.recv()", lambda: _select_vs_recv(False), ops=OPS, baseline=True))
register(Scenario(G6, "select(a.recv, b.recv)", lambda: _select_vs_recv(True), ops=OPS,
                  note="includes refilling the second channel"))
