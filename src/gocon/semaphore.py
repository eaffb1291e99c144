"""Semaphore: Go's golang.org/x/sync/semaphore -- weighted, strictly FIFO.

    sem = Semaphore(10)              # e.g. 10 MiB of buffers, or 10 slots
    sem.acquire(4)                   # block until 4 units are free
    try:
        ...
    finally:
        sem.release(4)

    async with sem:                  # one unit, from asyncio or trio
        ...

Threads, asyncio tasks and trio tasks may wait on the same semaphore.
Waiters are served strictly in arrival order: a large request at the head
blocks smaller ones behind it even when they would fit, so a large request is
never starved by a stream of small ones (Go's notifyWaiters makes the same
trade: fairness over utilisation). A waiter that times out or is cancelled
leaves the queue in O(1), and if it was at the head the waiters behind it are
served at once if they now fit.

Cancellation is atomic: a cancelled or timed-out ``acquire_async`` holds
nothing. (If the units were granted at the instant the cancellation arrived,
trio returns normally and delivers the cancellation at the next checkpoint;
asyncio gives the units back and lets the cancellation stand.)

The two numbers -- free units and live waiters -- live in a native counter
(``gocon._native.SemCount``) whose every method is one indivisible step, so
the uncontended acquire and release are one C call each and take no lock.
The queue itself is a deque guarded by ``_lock``. Invariant, under the lock:
``queued`` counts the live entries in the deque, and the first live entry
needs more than ``free`` (otherwise it would have been granted). Why a
release cannot miss a waiter that is about to queue: see semcount.c.
"""

from __future__ import annotations

from _thread import allocate_lock
from collections import deque
from types import TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple

from ._native import SemCount
from ._park import disarm, park_async, park_thread
from ._waiter import ThreadWaiter, Waiter, check_can_block, current_async_waiter
from .chan import RECV, check_timeout

if TYPE_CHECKING:
    from .context import Context

__all__ = ["Semaphore", "SemaphoreStatistics"]

class SemaphoreStatistics(NamedTuple):
    size: int
    held: int
    waiters: int


class _Wait:
    """One queued acquire (or one registration on a ctx's done channel)."""

    __slots__ = ("chan", "waiter", "index", "value", "queued", "dead")

    def __init__(self, owner: Any, waiter: Waiter, n: int) -> None:
        self.chan = owner
        self.waiter = waiter
        self.index = 0
        self.value = n
        self.queued = True
        self.dead = False


class Semaphore:
    """A weighted semaphore of ``size`` units with strictly FIFO waiters.

    Use it to bound a shared resource by amount rather than by count -- bytes
    of memory, connections, CPU slots -- across threads and tasks at once.
    ``acquire(n)`` waits until ``n`` units are free and every earlier waiter
    was served, so a large request is never starved by small ones;
    ``try_acquire`` never waits; ``release(n)`` gives units back.
    ``with sem:`` / ``async with sem:`` hold one unit.

    A wait that times out, whose ``ctx`` ends, or that is cancelled holds
    nothing, and if it headed the queue the waiters behind it are served.
    Asking for more than ``size``, or releasing more than is held, raises
    ``ValueError`` at once and changes nothing.
    """

    # As in Chan, the uncontended path is written out in ``acquire`` and
    # ``acquire_async`` rather than shared through a helper call.

    __slots__ = ("_count", "_lock", "_waiters", "_dead", "__weakref__")

    def __init__(self, size: int) -> None:
        # SemCount checks size: TypeError unless an int, ValueError unless >= 1.
        self._count = SemCount(size)
        self._lock = allocate_lock()  # guards _waiters and _dead
        self._waiters: deque[_Wait] = deque()
        self._dead = 0  # entries in _waiters that gave up, left for _grant to skip

    # ---- under the lock ------------------------------------------------------

    def _grant(self) -> list[Waiter]:
        """Lock held: serve waiters from the head while they fit (FIFO: stop at
        the first that does not). Returns the waiters to wake."""
        wakes: list[Waiter] = []
        q = self._waiters
        count = self._count
        while q:
            e = q[0]
            if e.dead:
                q.popleft()
                e.queued = False
                self._dead -= 1
                continue
            if not count.fits(e.value):
                break
            q.popleft()
            e.queued = False
            # Claim first: a waiter that is timing out right now wins or loses
            # here, and only a claimed waiter is charged the units.
            if e.waiter.try_claim((0, None, True)):
                count.grant(e.value)
                wakes.append(e.waiter)
            else:
                count.unqueue()
        return wakes

    def _forget(self, e: _Wait) -> list[Waiter]:
        """Lock held: a waiter gave up. O(1); if it headed the queue, the ones
        behind it may fit now."""
        if not e.queued or e.dead:
            return []
        e.dead = True
        self._dead += 1
        self._count.unqueue()
        if self._dead > 64 and self._dead * 2 > len(self._waiters):
            live = [x for x in self._waiters if not x.dead]
            for x in self._waiters:
                if x.dead:
                    x.queued = False
            self._waiters = deque(live)
            self._dead = 0
        return self._grant()

    def _serve(self) -> None:
        """Units came back while waiters are queued: wake those that now fit."""
        lock = self._lock
        lock.acquire()
        try:
            wakes = self._grant()
        finally:
            lock.release()
        for w in wakes:
            w.wake()

    # ---- API --------------------------------------------------------------------

    @property
    def size(self) -> int:
        """Total units."""
        return self._count.size  # type: ignore[no-any-return]

    def try_acquire(self, n: int = 1) -> bool:
        """Take ``n`` units if they are free and nobody is waiting; never blocks."""
        return self._count.take(n)  # type: ignore[no-any-return]

    def _enqueue(self, n: int, waiter: Waiter, ctx: Context | None) -> list[Any] | None:
        """Take the units now (None) or queue ``waiter`` (its entries)."""
        self._lock.acquire()
        try:
            if self._count.take_or_queue(n):
                return None
            # Counted as queued by take_or_queue; in the deque before the lock
            # is released, so a releaser that saw the count finds the entry.
            e = _Wait(self, waiter, n)
            self._waiters.append(e)
        finally:
            self._lock.release()
        entries: list[Any] = [e]
        if ctx is not None:
            done = ctx.done()
            done._lock.acquire()
            try:
                if done._closed:
                    closed = True
                else:
                    closed = False
                    entries.append(done._enqueue(waiter, 1, RECV, None))
            finally:
                done._lock.release()
            if closed and waiter.try_claim((1, None, False)):
                disarm(entries)  # gives back nothing: we never held the units
                waiter.wake()  # so the park below returns at once
        return entries

    def acquire(self, n: int = 1, *, timeout: float | None = None, ctx: Context | None = None) -> None:
        """Block until ``n`` units are free and every earlier waiter was served.

        ``TimeoutError`` after ``timeout`` seconds, ``ctx.err()`` when ``ctx``
        ends first; in both cases nothing is held. ``n`` larger than the size
        raises ``ValueError`` at once (it could never succeed).
        """
        if timeout is not None:
            check_timeout(timeout)
        if ctx is None:
            if self._count.take(n):  # fast path: free units, nobody queued ahead
                return
        elif ctx.err() is not None:
            self._count.fits(n)  # (bad n is still reported as such)
            raise ctx.err()  # type: ignore[misc]
        check_can_block("Semaphore.acquire()")
        waiter = ThreadWaiter()
        entries = self._enqueue(n, waiter, ctx)
        if entries is None:
            return
        r = park_thread(waiter, entries, timeout, lambda r: self._undo(r, n), "Semaphore.acquire()")
        self._result(r, ctx)

    async def acquire_async(self, n: int = 1, *, timeout: float | None = None, ctx: Context | None = None) -> None:
        """Async twin of ``acquire``. Cancelled: nothing is held."""
        if timeout is not None:
            check_timeout(timeout)
        if ctx is None:
            if self._count.take(n):
                return
        elif ctx.err() is not None:
            self._count.fits(n)
            raise ctx.err()  # type: ignore[misc]
        waiter = current_async_waiter()
        entries = self._enqueue(n, waiter, ctx)
        if entries is None:
            return
        r = await park_async(waiter, entries, timeout, lambda r: self._undo(r, n), "Semaphore.acquire()")
        self._result(r, ctx)

    def _undo(self, r: Any, n: int) -> None:
        """The units were granted to a caller who gave up: give them back."""
        if r[0] == 0 and r[2]:
            self.release(n)

    def _result(self, r: Any, ctx: Context | None) -> None:
        if r[0] == 1:  # ctx.done() closed
            raise ctx.err()  # type: ignore[union-attr,misc]

    def release(self, n: int = 1) -> None:
        """Give back ``n`` units and serve the waiters that now fit, in order.
        Releasing more than is held raises ``ValueError`` (and changes nothing)."""
        if self._count.give(n):
            self._serve()

    def statistics(self) -> SemaphoreStatistics:
        """Size, units held, live waiters."""
        return SemaphoreStatistics(*self._count.snapshot())

    # The context managers try the one-call fast path before the full method.

    def __enter__(self) -> Semaphore:
        if not self._count.take(1):
            self.acquire()
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        if self._count.give(1):
            self._serve()

    async def __aenter__(self) -> Semaphore:
        if not self._count.take(1):
            await self.acquire_async()
        return self

    async def __aexit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        if self._count.give(1):
            self._serve()

    def __repr__(self) -> str:
        s = self.statistics()
        return f"<gocon.Semaphore size={s.size} held={s.held} waiters={s.waiters}>"

