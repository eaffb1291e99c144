"""Parking a blocked operation until its waiter is claimed, in a thread, an
asyncio task or a trio task -- shared by channels, select and semaphores.

An operation queues *entries* (one per queue it waits in) whose ``chan``
attribute points back at their owner; an owner is anything with a ``_lock``
and a ``_forget(entry) -> waiters to wake (or None)`` method (a Chan, a
Semaphore).
Parking ends when the waiter is claimed (see ``_waiter``); if the caller gives
up instead (timeout, cancellation, KeyboardInterrupt) it claims the waiter
itself, or -- when a counterpart won the race -- hands the result to
``on_lost`` to be undone (or kept, where the world allows it).
"""

from __future__ import annotations

import time
from typing import Any, Callable

from . import debug
from ._waiter import CANCELLED, TIMEOUT, AsyncioWaiter, ThreadWaiter, Waiter


OnLost = Callable[[Any], None]


def disarm(entries: list[Any]) -> None:
    """Take a finished waiter's remaining entries off their queues (O(1) each)."""
    for e in entries:
        if e.queued:
            owner = e.chan
            owner._lock.acquire()
            try:
                wakes = owner._forget(e)
            finally:
                owner._lock.release()
            for w in wakes or ():
                w.wake()


def abandon(waiter: Waiter, entries: list[Any], on_lost: OnLost) -> None:
    """The caller gives up on a parked operation. Either nothing happened (we
    claim the waiter ourselves) or a counterpart completed it: ``on_lost``
    receives that result to undo it."""
    if waiter.try_claim(CANCELLED):
        disarm(entries)
        return
    disarm(entries)
    r = waiter.result
    if r is not TIMEOUT and r is not CANCELLED:
        on_lost(r)


def remaining(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def park_thread(waiter: ThreadWaiter, entries: list[Any], timeout: float | None, on_lost: OnLost, what: str) -> Any:
    """Park the calling thread; return the waiter's result or raise TimeoutError."""
    if debug._enabled:  # the one check the disabled case pays
        key = debug._begin(entries, what)
        try:
            return _park_thread(waiter, entries, timeout, on_lost, what)
        finally:
            debug._end(key)
    return _park_thread(waiter, entries, timeout, on_lost, what)


def _park_thread(waiter: ThreadWaiter, entries: list[Any], timeout: float | None, on_lost: OnLost, what: str) -> Any:
    try:
        parked = waiter.park(timeout)
    except BaseException:  # e.g. KeyboardInterrupt while parked
        abandon(waiter, entries, on_lost)
        raise
    if not parked and waiter.try_claim(TIMEOUT):
        disarm(entries)
        raise TimeoutError(f"{what} timed out after {timeout} s")
    disarm(entries)
    return waiter.result


async def park_async(
    waiter: Waiter, entries: list[Any], timeout: float | None, on_lost: OnLost, what: str = "wait"
) -> Any:
    """Park the calling asyncio or trio task; result, or TimeoutError."""
    key = debug._begin(entries, what) if debug._enabled else None
    try:
        if isinstance(waiter, AsyncioWaiter):
            return await _park_asyncio(waiter, entries, timeout, on_lost)
        return await _park_trio(waiter, entries, timeout, on_lost)
    finally:
        if key is not None:
            debug._end(key)


def _expire(waiter: Waiter, entries: list[Any]) -> None:
    if waiter.try_claim(TIMEOUT):
        disarm(entries)
        waiter.wake()


async def _park_asyncio(waiter: AsyncioWaiter, entries: list[Any], timeout: float | None, on_lost: OnLost) -> Any:
    handle = None if timeout is None else waiter.loop.call_later(timeout, _expire, waiter, entries)
    try:
        await waiter.fut
    except BaseException:
        # asyncio may throw CancelledError even though a counterpart already
        # completed the operation: the cancellation always stands, and what
        # was completed is undone by on_lost.
        abandon(waiter, entries, on_lost)
        raise
    finally:
        if handle is not None:
            handle.cancel()
    r = waiter.result
    if r is TIMEOUT:
        raise TimeoutError(f"timed out after {timeout} s")
    disarm(entries)
    return r


async def _park_trio(waiter: Waiter, entries: list[Any], timeout: float | None, on_lost: OnLost) -> Any:
    import trio

    def abort(raise_cancel: Any) -> trio.lowlevel.Abort:
        # Runs in the trio thread when the task is cancelled. If a counterpart
        # already claimed the waiter, its wake-up is on the way: refuse, and
        # trio delivers the cancellation at the task's next checkpoint, after
        # the completed operation returns (trio's own guarantee).
        if waiter.try_claim(CANCELLED):
            disarm(entries)
            return trio.lowlevel.Abort.SUCCEEDED
        return trio.lowlevel.Abort.FAILED

    try:
        if timeout is None:
            await trio.lowlevel.wait_task_rescheduled(abort)
        else:
            with trio.move_on_after(timeout) as scope:
                await trio.lowlevel.wait_task_rescheduled(abort)
            if scope.cancelled_caught:
                raise TimeoutError(f"timed out after {timeout} s")
    except BaseException:
        if not (waiter.claimed and waiter.result is CANCELLED):  # pragma: no cover - KeyboardInterrupt
            abandon(waiter, entries, on_lost)
        raise
    disarm(entries)
    return waiter.result


__all__ = ["abandon", "disarm", "park_async", "park_thread", "remaining"]
