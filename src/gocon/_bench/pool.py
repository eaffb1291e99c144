"""Scenarios for Pool and BufferPool against the stdlib and pure Python."""

from __future__ import annotations

import os
import queue
from functools import partial
import socket
import threading
from typing import Any, Callable

from ..bufferpool import BufferPool
from ..pool import Pool
from .core import Scenario, register, simple


class Thing:
    """A typical pooled object: a few fields, set up in __init__."""

    __slots__ = ("a", "b", "c", "d")

    def __init__(self) -> None:
        self.a: int = 0
        self.b: object = None
        self.c: list[object] = []
        self.d: dict[str, object] = {}


class FreeList:
    """The pure-Python pool people write by hand."""

    __slots__ = ("items", "new")

    def __init__(self, new: Callable[[], Any]) -> None:
        self.items: list[Any] = []
        self.new = new

    def get(self) -> Any:
        try:
            return self.items.pop()
        except IndexError:
            return self.new()

    def put(self, obj: Any) -> None:
        self.items.append(obj)


class PyBufferPool:
    """A pure-Python size-classed buffer pool (powers of two)."""

    def __init__(self) -> None:
        self.free: dict[int, list[bytearray]] = {}

    def get(self, n: int) -> bytearray:
        size = 1 << max(n - 1, 1).bit_length()
        lst = self.free.get(size)
        if lst:
            return lst.pop()
        return bytearray(size)

    def put(self, buf: bytearray) -> None:
        self.free.setdefault(len(buf), []).append(buf)


def _check(obj: Any, kind: type) -> None:
    if type(obj) is not kind:
        raise AssertionError(f"expected a {kind.__name__}, got {obj!r}")


# ---- Pool get+put ---------------------------------------------------------------

G = "pool get+put"


def _list_popappend() -> Any:
    lst = [Thing()]

    def run(ops: int) -> None:
        pop, append = lst.pop, lst.append
        for _ in range(ops):
            append(pop())
        _check(lst[0], Thing)

    return simple(run)


def _freelist() -> Any:
    fl = FreeList(Thing)
    fl.put(Thing())

    def run(ops: int) -> None:
        for _ in range(ops):
            fl.put(fl.get())
        _check(fl.get(), Thing)
        fl.put(Thing())

    return simple(run)


def _simplequeue() -> Any:
    q: queue.SimpleQueue[Thing] = queue.SimpleQueue()
    q.put(Thing())

    def run(ops: int) -> None:
        for _ in range(ops):
            q.put(q.get_nowait())
        _check(q.get_nowait(), Thing)
        q.put(Thing())

    return simple(run)


def _fresh() -> Any:
    def run(ops: int) -> None:
        for _ in range(ops):
            t = Thing()
        _check(t, Thing)

    return simple(run)


def _gocon_pool() -> Any:
    p = Pool(Thing)
    p.put(Thing())

    def run(ops: int) -> None:
        for _ in range(ops):
            p.put(p.get())
        _check(p.get(), Thing)
        p.put(Thing())

    return simple(run)


register(Scenario(G, "list.append(list.pop())", _list_popappend, baseline=True, note="bare list, no miss handling"))
register(Scenario(G, "pure-Python free list", _freelist, baseline=True))
register(Scenario(G, "queue.SimpleQueue", _simplequeue))
register(Scenario(G, "fresh Thing()", _fresh, note="no pooling: allocate each time"))
register(Scenario(G, "gocon.Pool", _gocon_pool))


# ---- BufferPool get+put --------------------------------------------------------


def _bytearray(n: int) -> Any:
    def run(ops: int) -> None:
        for _ in range(ops):
            b = bytearray(n)
        if len(b) != n:
            raise AssertionError("wrong size")

    return simple(run)


def _pybufpool(n: int) -> Any:
    bp = PyBufferPool()
    bp.put(bp.get(n))

    def run(ops: int) -> None:
        for _ in range(ops):
            bp.put(bp.get(n))
        b = bp.get(n)
        if len(b) < n:
            raise AssertionError("short buffer")
        bp.put(b)

    return simple(run)


def _gocon_bufpool(n: int, zero: bool = False) -> Any:
    bp = BufferPool(zero=zero)
    bp.put(bp.get(n))

    def run(ops: int) -> None:
        get, put = bp.get, bp.put
        for _ in range(ops):
            put(get(n))
        b = get(n)
        if len(b) != n:
            raise AssertionError("wrong size")
        put(b)
        if not b.returned:
            raise AssertionError("buffer not returned")
        if zero:
            b = get(n)
            with memoryview(b) as m:
                if any(m[:: max(1, n // 64)]):
                    raise AssertionError("zero=True handed out a dirty buffer")
                m[:] = b"\xff" * n  # dirty it for the next get
            put(b)

    def close() -> None:
        s = bp.stats()
        if s["outstanding"] or s["abandoned"]:
            raise AssertionError(f"buffers leaked: {s}")

    return run, close


for _n, _label, _ops in ((4096, "4 KiB", 20_000), (65536, "64 KiB", 5_000), (1 << 20, "1 MiB", 1_000)):
    _g = f"bufferpool get+put {_label}"
    register(Scenario(_g, f"bytearray({_n})", partial(_bytearray, _n), ops=_ops, baseline=True))
    register(Scenario(_g, "pure-Python buffer pool", partial(_pybufpool, _n), ops=20_000))
    register(Scenario(_g, "gocon.BufferPool", partial(_gocon_bufpool, _n), ops=20_000))
    register(Scenario(_g, "gocon.BufferPool(zero=True)", partial(_gocon_bufpool, _n, True), ops=min(_ops, 20_000),
                      note="clears each block on put"))


# ---- recv_into on loopback -------------------------------------------------------

R = "socketpair recv_into 64 KiB"
_CHUNK = 65536


def _recv(pooled: bool) -> Any:
    a, b = socket.socketpair()
    for s in (a, b):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * _CHUNK)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * _CHUNK)
    payload = os.urandom(_CHUNK)
    bp = BufferPool()

    def run(ops: int) -> None:
        for _ in range(ops):
            a.sendall(payload)
            buf: Any = bp.get(_CHUNK) if pooled else bytearray(_CHUNK)
            with memoryview(buf) as m:
                got = 0
                while got < _CHUNK:
                    got += b.recv_into(m[got:])
                if m[-8:] != payload[-8:]:
                    raise AssertionError("payload corrupted")
            if pooled:
                bp.put(buf)

    def close() -> None:
        a.close()
        b.close()

    return run, close


register(Scenario(R, "fresh bytearray", lambda: _recv(False), ops=2_000, baseline=True))
register(Scenario(R, "gocon.BufferPool", lambda: _recv(True), ops=2_000))


# ---- next to a busy thread ----------------------------------------------------------

B = "gocon.Pool get+put next to a busy Python thread"


def _with_busy_thread(make_run: Callable[[], Callable[[int], None]], busy: bool) -> Any:
    """Run ``make_run()``'s loop alone, or while another thread spins Python
    bytecode. The spinner runs only during this scenario's own rounds, so
    interleaved neighbours are not slowed by it."""
    inner = make_run()
    if not busy:
        return simple(inner)
    active, stop = threading.Event(), threading.Event()

    def spin() -> None:
        x = 0
        while active.wait() and not stop.is_set():
            for _ in range(1000):
                x += 1

    t = threading.Thread(target=spin, name="gocon-bench-busy", daemon=True)
    t.start()

    def run(ops: int) -> None:
        active.set()
        try:
            inner(ops)
        finally:
            active.clear()

    def close() -> None:
        stop.set()
        active.set()
        t.join()

    return run, close


def _pool_loop() -> Callable[[int], None]:
    return _gocon_pool()[0]  # type: ignore[no-any-return]


def _cffi_loop() -> Callable[[int], None]:
    from .._native import lib

    def run(ops: int) -> None:
        f = lib.gocon_free_threaded
        for _ in range(ops):
            f()
            f()

    return run


# Rounds must span many GIL switch intervals (5 ms) for the busy thread to matter.
register(Scenario(B, "alone", lambda: _with_busy_thread(_pool_loop, False), ops=500_000, baseline=True))
register(Scenario(B, "with a busy thread", lambda: _with_busy_thread(_pool_loop, True), ops=500_000,
                  note="throughput kept = 1 / ratio"))

C = "2 cffi wrapper calls next to a busy Python thread"
register(Scenario(C, "alone", lambda: _with_busy_thread(_cffi_loop, False), ops=250_000, baseline=True,
                  note="what a pool built on cffi wrappers would pay"))
# Each call can wait a whole switch interval for the GIL: keep rounds short.
register(Scenario(C, "with a busy thread", lambda: _with_busy_thread(_cffi_loop, True), ops=2_000,
                  note="the GIL convoy: each call releases and retakes the GIL"))
