"""Waiters: how a blocked operation parks, in a thread, an asyncio task or a trio task.

A waiter is created by one blocked operation (a send, a receive, a select,
an acquire) and may be completed by any thread. Completion is a *claim*:

    waiter.try_claim(result) -> bool

``try_claim`` stores ``result`` and reports success for exactly one caller,
atomically: it is one ``dict.setdefault``, a single C call (atomic under the
GIL, and under the per-object lock of free-threaded builds). The winner then
calls ``wake()``. Every party that may end a wait goes through the same claim
-- a counterpart operation handing over a value, ``close()``, a timeout, a
cancellation -- so exactly one of them decides the outcome, and the result is
readable by the waiter as soon as the claim is lost: a cancelled or timed-out
waiter that lost the race knows at once that the operation completed and what
its result is. That is what makes cancellation atomic.

Why a wake-up cannot be lost: a waiter is made visible (queued on a channel)
under the channel's lock, after the operation found nothing ready under that
same lock; a counterpart that arrives later must take the lock, finds the
waiter, claims it, and wakes it. Waking before the waiter parks is harmless:
a thread waiter parks on a lock released by ``wake()``, an asyncio waiter on a
future, and a trio waiter is rescheduled only by callbacks that run after it
parked (same thread: the task cannot be running; other threads: through
``run_sync_soon``).
"""

from __future__ import annotations

import asyncio
from _thread import allocate_lock, get_ident
from typing import Any

#: Results a waiter can be claimed with besides a case result.
TIMEOUT: Any = object()
CANCELLED: Any = object()
#: The value part of a case result meaning "your case may be ready now: try
#: again" (a send told that room or a receiver appeared).
RETRY: Any = object()


class Waiter:
    """Base: the claim slot. Subclasses implement ``wake``."""

    __slots__ = ("_slot",)

    #: A parked sender whose value may be taken by a counterpart directly.
    #: asyncio senders set it False: asyncio may throw CancelledError into a
    #: task whose operation already completed, and a delivered value cannot be
    #: taken back -- so they are told to retry instead (see chan.py).
    direct_send = True

    def __init__(self) -> None:
        self._slot: dict[str, Any] = {}

    def try_claim(self, result: Any) -> bool:
        return self._slot.setdefault("r", result) is result

    @property
    def claimed(self) -> bool:
        return "r" in self._slot

    @property
    def result(self) -> Any:
        return self._slot["r"]

    def wake(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class ThreadWaiter(Waiter):
    """Parks a thread on a lock that ``wake()`` releases."""

    __slots__ = ("lock",)

    def __init__(self) -> None:
        super().__init__()
        self.lock = allocate_lock()
        self.lock.acquire()

    def wake(self) -> None:
        self.lock.release()

    def park(self, timeout: float | None) -> bool:
        """Wait until woken; False if ``timeout`` passed first."""
        if timeout is None:
            return self.lock.acquire()
        return self.lock.acquire(True, timeout)


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


class AsyncioWaiter(Waiter):
    """Parks an asyncio task on a future of the running loop."""

    __slots__ = ("loop", "fut", "thread")
    direct_send = False

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self.loop = loop
        self.fut: asyncio.Future[None] = loop.create_future()
        self.thread = get_ident()

    def wake(self) -> None:
        loop = self.loop
        if get_ident() == self.thread and asyncio._get_running_loop() is loop:
            _resolve(self.fut)  # inside the waiter's own loop: no self-pipe write
            return
        try:
            loop.call_soon_threadsafe(_resolve, self.fut)
        except RuntimeError:
            # The loop is closed: its task can never run again, so there is
            # nobody to wake. Never raise in the waking thread.
            pass


class TrioWaiter(Waiter):
    """Parks a trio task in ``wait_task_rescheduled``."""

    __slots__ = ("task", "token", "thread")

    def __init__(self) -> None:
        import trio

        super().__init__()
        self.task = trio.lowlevel.current_task()
        self.token = trio.lowlevel.current_trio_token()
        self.thread = get_ident()

    def wake(self) -> None:
        import trio

        if get_ident() == self.thread:
            try:
                inside = trio.lowlevel.current_trio_token() is self.token
            except RuntimeError:  # not inside any trio run in this thread
                inside = False
            if inside:
                trio.lowlevel.reschedule(self.task)
                return
        try:
            self.token.run_sync_soon(trio.lowlevel.reschedule, self.task)
        except trio.RunFinishedError:
            pass


def current_async_waiter() -> Waiter:
    """A waiter for the running async library (asyncio or trio)."""
    loop = asyncio._get_running_loop()
    if loop is not None:
        return AsyncioWaiter(loop)
    import sniffio

    lib = sniffio.current_async_library()
    if lib == "trio":
        return TrioWaiter()
    raise RuntimeError(f"gocon supports asyncio and trio, not {lib}")


def check_can_block(what: str) -> None:
    """Raise RuntimeError instead of blocking a thread that runs an event loop."""
    if asyncio._get_running_loop() is not None:
        raise RuntimeError(
            f"{what} would block the asyncio event loop running in this thread; "
            f"use the _async variant (await ...) or call it from a worker thread"
        )
    import sniffio

    try:
        lib = sniffio.current_async_library()
    except sniffio.AsyncLibraryNotFoundError:
        return
    raise RuntimeError(
        f"{what} would block the {lib} event loop running in this thread; "
        f"use the _async variant (await ...) or call it from a worker thread"
    )


__all__ = [
    "CANCELLED",
    "RETRY",
    "TIMEOUT",
    "AsyncioWaiter",
    "ThreadWaiter",
    "TrioWaiter",
    "Waiter",
    "check_can_block",
    "current_async_waiter",
]
