"""Chan: Go channels for threads, asyncio tasks and trio tasks at once.

A ``Chan(capacity)`` is a FIFO hand-off point. With ``capacity=0`` (a
rendezvous) a send completes only when a receiver takes the value; with a
buffer, a send completes as soon as the value is buffered. ``close()`` ends
the stream: receivers drain what is buffered, then see the channel closed.

Any mix of threads and tasks may use one channel: a thread may send while an
asyncio task and a trio task receive. Blocking calls (``send``, ``recv``,
``recv_ok``) are for threads; their ``_async`` twins are for tasks. All take
``timeout=`` (seconds) and ``ctx=`` (a ``gocon.Context``).

Cancellation is atomic: a cancelled or timed-out ``recv_async`` consumes
nothing, a cancelled or timed-out ``send_async`` delivers nothing. If a
counterpart completed the operation at the instant the cancellation arrived:
on trio the operation wins (its result is returned) and trio delivers the
cancellation at the next checkpoint; on asyncio the cancellation stands and
the operation is undone (see below). No value is ever lost or received twice.

An async operation that can complete at once (a value is buffered, a
receiver is waiting) completes without yielding to the event loop, as
``asyncio.Queue.put_nowait`` does: yielding on every item would cost a loop
iteration per value. Producers still yield whenever the buffer is full, so a
bounded channel cannot starve its consumers for long; insert a checkpoint
yourself if a loop over an always-ready channel must stay cancellable.

Implementation: one lock per channel, never held across a blocking call, an
await, or a wake-up. Invariants under that lock, for queued live entries:
receivers wait only while the buffer is empty and no sender waits; senders
wait only while the buffer is full (or the channel is a rendezvous) and no
receiver waits. Queued entries whose owner gave up stay in the queue marked
dead and are skipped, so removal is O(1); the queues are compacted when dead
entries pile up.

A parked sender normally hands its value over directly: the receiver claims
it and takes the value. An asyncio sender is the exception (asyncio can throw
CancelledError into a task whose operation already completed, and a delivered
value cannot be taken back): it is only *told to retry* (claimed with RETRY)
and delivers its value itself when it runs, as asyncio.Queue does. A RETRY
notice is never dropped: a waiter that does not use it (it was cancelled,
timed out, or completed another select case) passes it to the next sender
(``_settle``), so a receiver cannot be left waiting beside a waiting sender.
"""

from __future__ import annotations

import random
import time
from _thread import allocate_lock
from collections import deque
from collections.abc import AsyncIterator, Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar

from ._park import disarm, park_async, park_thread, remaining
from ._waiter import RETRY, ThreadWaiter, Waiter, check_can_block, current_async_waiter

if TYPE_CHECKING:
    from .context import Context

T = TypeVar("T")

__all__ = ["Chan", "ChanStatistics", "Closed"]

RECV, RECV_OK, SEND = 0, 1, 2


class Closed(Exception):
    """The channel is closed: a send on it, a receive after it was drained,
    or a second ``close()``."""


class ChanStatistics(NamedTuple):
    """A snapshot of a channel's state (see ``Chan.statistics``)."""

    buffered: int
    capacity: int
    senders_waiting: int
    receivers_waiting: int
    closed: bool


class _Entry:
    """One waiter queued on one channel (a select queues one per case)."""

    __slots__ = ("chan", "waiter", "index", "value", "queued", "dead")

    def __init__(self, chan: Chan[Any], waiter: Waiter, index: int, value: Any) -> None:
        self.chan = chan
        self.waiter = waiter
        self.index = index
        self.value = value
        self.queued = True  # in chan's queue; only changed under chan's lock
        self.dead = False  # owner gave up; counted in chan._dead


_COMPACT_AT = 64
TOOK, CLOSED, BLOCKED = 0, 1, 2


def check_timeout(timeout: float | None) -> None:
    if timeout is None:
        return
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"timeout must be a number of seconds or None, not {type(timeout).__name__}")
    if not timeout >= 0:  # also NaN
        raise ValueError(f"timeout must be >= 0, got {timeout!r}")


class Chan(Generic[T]):
    """A Go channel usable from threads, asyncio and trio at the same time.

    ``Chan(capacity=0)``: capacity 0 is a rendezvous (a send completes when a
    receiver takes the value); ``n > 0`` buffers up to ``n`` values.
    ``Chan[int]`` for typing.

    ``send``, ``recv`` and ``recv_ok`` block the calling thread; their
    ``_async`` twins suspend a task instead. All take ``timeout=`` and
    ``ctx=``. Values arrive in the order sent, each exactly once. Cancellation
    is atomic: a send that is cancelled or times out delivered nothing, a
    receive consumed nothing. After ``close()`` receivers drain what is
    buffered and then see the channel closed; senders raise ``Closed``.
    """

    # The fast paths (a buffered value, room in the buffer) are written out in
    # each public method and its async twin rather than shared through a
    # helper: one more Python call per operation measured ~15% on the
    # channel benchmarks.

    __slots__ = ("_lock", "_buf", "_cap", "_recvq", "_sendq", "_closed", "_dead", "__weakref__")

    def __init__(self, capacity: int = 0) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, int):
            raise TypeError(f"Chan(capacity) must be an int, not {type(capacity).__name__}")
        if capacity < 0:
            raise ValueError(f"Chan(capacity) must be >= 0, got {capacity}")
        self._lock = allocate_lock()
        self._buf: deque[T] = deque()
        self._cap = capacity
        self._recvq: deque[_Entry] = deque()
        self._sendq: deque[_Entry] = deque()
        self._closed = False
        self._dead = 0

    # ---- state under the lock ------------------------------------------------

    def _offer(self, value: Any) -> Waiter | bool:
        """Lock held. Hand ``value`` to a waiting receiver (return its waiter, to
        wake once the lock is dropped) or buffer it (True); False: would block."""
        if self._closed:
            raise Closed("send on a closed channel")
        q = self._recvq
        while q:
            e = q.popleft()
            e.queued = False
            if e.dead:
                self._dead -= 1
            elif e.waiter.try_claim((e.index, value, True)):
                return e.waiter
        if len(self._buf) < self._cap:
            self._buf.append(value)
            return True
        return False

    def _take(self) -> tuple[int, Any, Waiter | None]:
        """Lock held. ``(state, value, waiter_to_wake)`` with state TOOK, CLOSED
        or BLOCKED; a sender may need waking in every state."""
        buf = self._buf
        if buf:
            value = buf.popleft()
            # A pushed-back value may hold the buffer past capacity: refill only into room.
            return TOOK, value, self._refill() if self._sendq and len(buf) < self._cap else None
        q = self._sendq
        while q:
            e = q.popleft()
            e.queued = False
            if e.dead:
                self._dead -= 1
                continue
            w = e.waiter
            if w.direct_send:
                if w.try_claim((e.index, None, True)):
                    return TOOK, e.value, w
            elif w.try_claim((e.index, RETRY, True)):
                return BLOCKED, None, w  # it will come back and hand the value over
        if self._closed:
            return CLOSED, None, None
        return BLOCKED, None, None

    def _refill(self) -> Waiter | None:
        """Lock held, the buffer has room: the first live sender moves its value
        in (or, for an asyncio sender, is told to retry). Returns it, to wake."""
        q = self._sendq
        while q:
            e = q.popleft()
            e.queued = False
            if e.dead:
                self._dead -= 1
                continue
            w = e.waiter
            if w.direct_send:
                if w.try_claim((e.index, None, True)):
                    self._buf.append(e.value)
                    return w
            elif w.try_claim((e.index, RETRY, True)):
                return w
        return None

    def _settle(self) -> Waiter | None:
        """Lock held: a RETRY notice was not used; if a sender could now
        proceed (room in the buffer, or a live receiver waiting), tell the
        first live sender to retry. Returns it, to wake."""
        if not self._sendq:
            return None
        if len(self._buf) >= self._cap and not any(
            not e.dead and not e.waiter.claimed for e in self._recvq
        ):
            return None
        q = self._sendq
        while q:
            e = q.popleft()
            e.queued = False
            if e.dead:
                self._dead -= 1
            elif e.waiter.try_claim((e.index, RETRY, True)):
                return e.waiter
        return None

    def _push_back(self, value: Any) -> Waiter | None:
        """Lock held: undo a receive -- the value goes to the next live
        receiver, or back to the front of the buffer (even past capacity, or
        on a rendezvous channel: it must not be lost). Returns a waiter to wake."""
        q = self._recvq
        while q:
            e = q.popleft()
            e.queued = False
            if e.dead:
                self._dead -= 1
            elif e.waiter.try_claim((e.index, value, True)):
                return e.waiter
        self._buf.appendleft(value)
        return None

    def _enqueue(self, waiter: Waiter, index: int, kind: int, value: Any) -> _Entry:
        """Lock held: queue a waiter (after finding nothing ready)."""
        e = _Entry(self, waiter, index, value)
        (self._sendq if kind == SEND else self._recvq).append(e)
        return e

    def _forget(self, e: _Entry) -> None:
        """Lock held: the owner of ``e`` gave up. O(1): mark it dead; the
        queues are rebuilt when dead entries reach half of them."""
        if not e.queued or e.dead:
            return None
        e.dead = True
        self._dead += 1
        if self._dead >= _COMPACT_AT and self._dead * 2 >= len(self._recvq) + len(self._sendq):
            for q in (self._recvq, self._sendq):
                live = [x for x in q if not x.dead]
                for x in q:
                    if x.dead:
                        x.queued = False
                q.clear()
                q.extend(live)
            self._dead = 0

    # ---- public API -------------------------------------------------------------

    @property
    def capacity(self) -> int:
        """Buffer size; 0 for a rendezvous channel."""
        return self._cap

    @property
    def closed(self) -> bool:
        """True once ``close()`` was called (values may still be buffered)."""
        return self._closed

    def __len__(self) -> int:
        """Values buffered now."""
        return len(self._buf)

    def send(self, value: T, *, timeout: float | None = None, ctx: Context | None = None) -> None:
        """Send ``value``; block until a receiver takes it (rendezvous) or it is buffered.

        Raises ``Closed`` if the channel is or becomes closed before the
        value is delivered, ``TimeoutError`` after ``timeout`` seconds, and
        ``ctx.err()`` when ``ctx`` ends first. In each case nothing was sent.
        """
        if timeout is not None:
            check_timeout(timeout)
        if ctx is None:
            lock = self._lock
            lock.acquire()  # (explicit acquire/release: 2x cheaper than `with`)
            try:
                # Fast path: room in the buffer and nobody to hand over to.
                if not self._recvq and len(self._buf) < self._cap and not self._closed:
                    self._buf.append(value)
                    return
                r = self._offer(value)
            finally:
                lock.release()
            if r is True:
                return
            if r is not False:
                r.wake()  # type: ignore[union-attr]
                return
        _result(block(((self, SEND, value),), timeout, ctx, "Chan.send()"), ctx)

    def recv(self, *, timeout: float | None = None, ctx: Context | None = None) -> T:
        """Receive the next value; raise ``Closed`` once closed and drained.

        ``TimeoutError`` after ``timeout`` seconds and ``ctx.err()`` when ``ctx``
        ends first; in both cases nothing was consumed.
        """
        if timeout is not None:
            check_timeout(timeout)
        if ctx is None:
            lock = self._lock
            lock.acquire()
            try:
                if self._buf and not self._sendq:  # fast path: a buffered value, no blocked sender
                    return self._buf.popleft()  # type: ignore[no-any-return]
                state, value, w = self._take()
            finally:
                lock.release()
            if w is not None:
                w.wake()
            if state == TOOK:
                return value  # type: ignore[no-any-return]
            if state == CLOSED:
                raise Closed("receive from a closed channel")
        _, value, ok = _result(block(((self, RECV, None),), timeout, ctx, "Chan.recv()"), ctx)
        if not ok:
            raise Closed("receive from a closed channel")
        return value  # type: ignore[no-any-return]

    def recv_ok(self, *, timeout: float | None = None, ctx: Context | None = None) -> tuple[T | None, bool]:
        """``(value, True)``, or ``(None, False)`` once the channel is closed and drained."""
        if timeout is not None:
            check_timeout(timeout)
        if ctx is None:
            lock = self._lock
            lock.acquire()
            try:
                if self._buf and not self._sendq:  # fast path: a buffered value, no blocked sender
                    return self._buf.popleft(), True
                state, value, w = self._take()
            finally:
                lock.release()
            if w is not None:
                w.wake()
            if state != BLOCKED:
                return value, state == TOOK
        _, value, ok = _result(block(((self, RECV, None),), timeout, ctx, "Chan.recv_ok()"), ctx)
        return value, ok

    async def send_async(self, value: T, *, timeout: float | None = None, ctx: Context | None = None) -> None:
        """Async twin of ``send``. Cancelled: nothing was sent."""
        if timeout is not None:
            check_timeout(timeout)
        if ctx is None:
            lock = self._lock
            lock.acquire()  # (explicit acquire/release: 2x cheaper than `with`)
            try:
                # Fast path: room in the buffer and nobody to hand over to.
                if not self._recvq and len(self._buf) < self._cap and not self._closed:
                    self._buf.append(value)
                    return
                r = self._offer(value)
            finally:
                lock.release()
            if r is True:
                return
            if r is not False:
                r.wake()  # type: ignore[union-attr]
                return
        _result(await block_async(((self, SEND, value),), timeout, ctx, "Chan.send()"), ctx)

    async def recv_async(self, *, timeout: float | None = None, ctx: Context | None = None) -> T:
        """Async twin of ``recv``. Cancelled: nothing was consumed."""
        if timeout is not None:
            check_timeout(timeout)
        if ctx is None:
            lock = self._lock
            lock.acquire()
            try:
                if self._buf and not self._sendq:  # fast path: a buffered value, no blocked sender
                    return self._buf.popleft()  # type: ignore[no-any-return]
                state, value, w = self._take()
            finally:
                lock.release()
            if w is not None:
                w.wake()
            if state == TOOK:
                return value  # type: ignore[no-any-return]
            if state == CLOSED:
                raise Closed("receive from a closed channel")
        _, value, ok = _result(await block_async(((self, RECV, None),), timeout, ctx, "Chan.recv()"), ctx)
        if not ok:
            raise Closed("receive from a closed channel")
        return value  # type: ignore[no-any-return]

    async def recv_ok_async(
        self, *, timeout: float | None = None, ctx: Context | None = None
    ) -> tuple[T | None, bool]:
        """Async twin of ``recv_ok``."""
        if timeout is not None:
            check_timeout(timeout)
        if ctx is None:
            lock = self._lock
            lock.acquire()
            try:
                if self._buf and not self._sendq:  # fast path: a buffered value, no blocked sender
                    return self._buf.popleft(), True
                state, value, w = self._take()
            finally:
                lock.release()
            if w is not None:
                w.wake()
            if state != BLOCKED:
                return value, state == TOOK
        _, value, ok = _result(await block_async(((self, RECV, None),), timeout, ctx, "Chan.recv_ok()"), ctx)
        return value, ok

    def close(self) -> None:
        """Close the channel. Waiting receivers wake and see it closed once the
        buffer is drained; waiting senders raise ``Closed``. Closing twice
        raises ``Closed``."""
        with self._lock:
            if self._closed:
                raise Closed("close of a closed channel")
            self._closed = True
            waiting = list(self._recvq) + list(self._sendq)
            for e in waiting:
                e.queued = False
            self._recvq.clear()
            self._sendq.clear()
            self._dead = 0
        woken = [e.waiter for e in waiting if not e.dead and e.waiter.try_claim((e.index, None, False))]
        for w in woken:
            w.wake()

    def statistics(self) -> ChanStatistics:
        """Buffered values, capacity, live waiting senders and receivers, closed."""
        with self._lock:
            dead_r = sum(1 for e in self._recvq if e.dead) if self._dead else 0
            dead_s = self._dead - dead_r
            return ChanStatistics(
                buffered=len(self._buf),
                capacity=self._cap,
                senders_waiting=len(self._sendq) - dead_s,
                receivers_waiting=len(self._recvq) - dead_r,
                closed=self._closed,
            )

    def __iter__(self) -> Iterator[T]:
        """``for v in ch:`` receives until the channel is closed and drained."""
        while True:
            value, ok = self.recv_ok()
            if not ok:
                return
            yield value  # type: ignore[misc]

    def __aiter__(self) -> AsyncIterator[T]:
        """``async for v in ch:`` receives until the channel is closed and drained."""
        return _AsyncIter(self)

    def __repr__(self) -> str:
        s = self.statistics()
        state = "closed" if s.closed else "open"
        return (
            f"<gocon.Chan capacity={s.capacity} buffered={s.buffered} {state} "
            f"senders_waiting={s.senders_waiting} receivers_waiting={s.receivers_waiting}>"
        )


class _AsyncIter(Generic[T]):
    __slots__ = ("_ch",)

    def __init__(self, ch: Chan[T]) -> None:
        self._ch = ch

    def __aiter__(self) -> _AsyncIter[T]:
        return self

    async def __anext__(self) -> T:
        value, ok = await self._ch.recv_ok_async()
        if not ok:
            raise StopAsyncIteration
        return value  # type: ignore[return-value]


# ---- blocking machinery, shared by Chan and select ------------------------------

Case = tuple[Chan[Any], int, Any]  # (channel, RECV/RECV_OK/SEND, value to send)


_SEND_CLOSED: Any = object()  # result value of a send case woken by close()


def _result(r: tuple[int, Any, bool], ctx: Context | None) -> tuple[int, Any, bool]:
    """Turn a block() result into the exception it stands for, if any."""
    if r[0] == -2:  # the ctx.done() case fired
        raise ctx.err()  # type: ignore[union-attr,misc]
    if r[1] is _SEND_CLOSED:
        raise Closed("send on a closed channel")
    return r


def _with_ctx(cases: Sequence[Case], ctx: Context | None) -> tuple[Sequence[Case], int]:
    if ctx is None:
        return cases, len(cases)
    return (*cases, (ctx.done(), RECV, None)), len(cases)


def _arm(cases: Sequence[Case], waiter: Waiter) -> tuple[tuple[int, Any, bool] | None, list[_Entry]]:
    """Complete one ready case, or queue ``waiter`` on every case's channel.

    All channels involved are locked together, in ``id()`` order (the one
    global lock order: no other code path holds two channel locks at once), so
    no case can become ready between the check and the queueing. Cases are
    examined in a random order: among ready cases each is equally likely.
    """
    n = len(cases)
    if n == 1:
        order: Sequence[int] = (0,)
        chans: list[Chan[Any]] = [cases[0][0]]
    else:
        order = random.sample(range(n), n)
        chans = sorted({id(c[0]): c[0] for c in cases}.values(), key=id)
    for ch in chans:
        ch._lock.acquire()
    wakes: list[Waiter] = []
    result: tuple[int, Any, bool] | None = None
    entries: list[_Entry] = []
    try:
        for i in order:
            ch, kind, value = cases[i]
            if kind == SEND:
                r = ch._offer(value)
                if r is not False:
                    if r is not True:
                        wakes.append(r)  # type: ignore[arg-type]
                    result = (i, None, True)
                    break
            else:
                state, got, w = ch._take()
                if w is not None:
                    wakes.append(w)
                if state != BLOCKED:
                    result = (i, got, state == TOOK)
                    break
        else:
            entries = [ch._enqueue(waiter, i, kind, value) for i, (ch, kind, value) in enumerate(cases)]
    finally:
        for ch in reversed(chans):
            ch._lock.release()
        for w in wakes:
            w.wake()
    return result, entries


def _settle_chan(ch: Chan[Any]) -> None:
    """Pass on a RETRY notice that will not be used."""
    with ch._lock:
        w = ch._settle()
    if w is not None:
        w.wake()


def _undo_case(cases: Sequence[Case], r: tuple[int, Any, bool]) -> None:
    """A counterpart completed case ``r`` for a caller who gave up: a received
    value goes back to the channel, an unused RETRY notice is passed on. (A
    parked sender's value is never taken behind its back unless it can report
    success: see Waiter.direct_send.)"""
    i, value, ok = r
    ch, kind, _ = cases[i]
    if value is RETRY:
        _settle_chan(ch)
    elif kind != SEND and ok:
        ch._lock.acquire()
        try:
            w = ch._push_back(value)
        finally:
            ch._lock.release()
        if w is not None:
            w.wake()


def block(cases: Sequence[Case], timeout: float | None, ctx: Context | None, what: str) -> tuple[int, Any, bool]:
    """Block the calling thread until one case completes.

    Returns ``(index, value, ok)``; index -2 means ``ctx`` ended. For a send
    case that failed because the channel closed, value is ``_SEND_CLOSED``.
    """
    check_timeout(timeout)
    check_can_block(what)
    all_cases, ctx_index = _with_ctx(cases, ctx)
    deadline = None if timeout is None else time.monotonic() + timeout
    on_lost = partial(_undo_case, all_cases)
    notice: Chan[Any] | None = None  # a channel whose RETRY notice we hold
    try:
        while True:
            waiter = ThreadWaiter()
            r, entries = _arm(all_cases, waiter)
            if notice is not None:
                if r is None or all_cases[r[0]][0] is not notice:
                    _settle_chan(notice)
                notice = None
            if r is None:
                r = park_thread(waiter, entries, remaining(deadline), on_lost, what)
                if r[1] is RETRY:
                    notice = all_cases[r[0]][0]
                    continue
            return _classify(r, cases, ctx_index, len(all_cases))
    except BaseException:
        if notice is not None:
            _settle_chan(notice)
        raise


def _classify(r: tuple[int, Any, bool], cases: Sequence[Case], ctx_index: int, n: int) -> tuple[int, Any, bool]:
    i, value, ok = r
    if i == ctx_index and ctx_index < n:
        return -2, None, False
    if cases[i][1] == SEND and not ok:
        return i, _SEND_CLOSED, False
    return r


async def block_async(
    cases: Sequence[Case], timeout: float | None, ctx: Context | None, what: str = "select()"
) -> tuple[int, Any, bool]:
    """Async twin of ``block``, for asyncio and trio tasks."""
    check_timeout(timeout)
    all_cases, ctx_index = _with_ctx(cases, ctx)
    deadline = None if timeout is None else time.monotonic() + timeout
    on_lost = partial(_undo_case, all_cases)
    notice: Chan[Any] | None = None
    try:
        while True:
            waiter = current_async_waiter()
            r, entries = _arm(all_cases, waiter)
            if notice is not None:
                if r is None or all_cases[r[0]][0] is not notice:
                    _settle_chan(notice)
                notice = None
            if r is None:
                r = await park_async(waiter, entries, remaining(deadline), on_lost, what)
                if r[1] is RETRY:
                    notice = all_cases[r[0]][0]
                    continue
            return _classify(r, cases, ctx_index, len(all_cases))
    except BaseException:
        if notice is not None:
            _settle_chan(notice)
        raise
