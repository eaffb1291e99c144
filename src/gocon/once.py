"""Once: Go's sync.Once -- run a function at most once, for threads and tasks.

    init = Once()
    init.do(load_config)             # threads; or: await init.do_async(load_async)

The first caller runs the function; concurrent callers wait until it has
finished; later callers return at once. If the function raises, the call
still counts as done (as in Go): the exception reaches the caller that ran it,
and nobody runs the function again. ``do`` and ``do_async`` share one state, so
a thread and a task may race for the same Once.

A ``do`` (or ``do_async``) issued from inside the function itself would wait
for itself forever; it raises ``RuntimeError`` instead.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from .context import _DoneChan

if TYPE_CHECKING:
    from .context import Context

__all__ = ["Once"]

_NEW, _RUNNING, _DONE = 0, 1, 2


class Once:
    """Run a function at most once across threads and tasks: Go's ``sync.Once``.

    The first ``do(fn)`` / ``do_async(afn)`` runs it; concurrent callers wait
    until it has finished; later callers return at once. If it raises (or
    its task is cancelled) the call still counts as done, and the exception
    reaches only the caller that ran it.
    """

    __slots__ = ("_lock", "_state", "_finished", "_runner", "__weakref__")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = _NEW
        self._finished = _DoneChan(self)  # closed when the function has returned or raised
        self._runner: Any = None

    @property
    def done(self) -> bool:
        """True once the function has run (returned or raised)."""
        return self._state == _DONE

    def _claim(self, fn: Any, who: Any) -> bool:
        if not callable(fn):
            raise TypeError(f"Once needs a callable, not {type(fn).__name__}")
        with self._lock:
            if self._state == _NEW:
                self._state = _RUNNING
                self._runner = who
                return True
            if self._state == _RUNNING and self._runner == who:
                raise RuntimeError("Once.do() called from inside its own function would wait forever")
            return False

    def _finish(self) -> None:
        with self._lock:
            self._state = _DONE
            self._runner = None
        self._finished._end()

    def do(self, fn: Callable[[], Any], *, timeout: float | None = None, ctx: Context | None = None) -> None:
        """Run ``fn()`` if no call has run yet; otherwise wait until that call finished."""
        if self._state == _DONE:
            return
        if self._claim(fn, threading.get_ident()):
            try:
                fn()
            finally:
                self._finish()
            return
        self._finished.recv_ok(timeout=timeout, ctx=ctx)

    async def do_async(
        self, afn: Callable[[], Awaitable[Any]], *, timeout: float | None = None, ctx: Context | None = None
    ) -> None:
        """Async twin of ``do`` for a coroutine function. If the running
        task is cancelled, the call still counts as done."""
        if self._state == _DONE:
            return
        import sniffio

        lib = sniffio.current_async_library()
        if lib == "trio":
            import trio

            who: Any = trio.lowlevel.current_task()
        else:
            import asyncio

            who = asyncio.current_task()
        if self._claim(afn, who):
            try:
                await afn()
            finally:
                self._finish()
            return
        await self._finished.recv_ok_async(timeout=timeout, ctx=ctx)

    def __repr__(self) -> str:
        return f"<gocon.Once {('new', 'running', 'done')[self._state]}>"
