"""WaitGroup: Go's sync.WaitGroup, for threads and async tasks alike.

    wg = WaitGroup()
    for url in urls:
        wg.go(fetch, url)            # add(1), run in a thread, done() when it returns
    wg.wait()                        # or: await wg.wait_async()

``add(n)`` raises the counter, ``done()`` lowers it, ``wait()`` blocks until it
is zero. A counter that would go negative raises ``ValueError`` and is left
unchanged. Each time the counter reaches zero, everyone waiting is released;
a wait that starts at zero returns at once.

How: each busy period (counter > 0) has a receive-only channel that is closed
when the counter returns to zero; waiting is receiving from it, so
``timeout=``, ``ctx=``, threads, asyncio and trio all come from channels.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Callable

from .context import _DoneChan

if TYPE_CHECKING:
    from .context import Context

__all__ = ["WaitGroup"]


class WaitGroup:
    """Wait for a collection of threads or tasks to finish: Go's ``sync.WaitGroup``.

    ``add(n)`` before starting work, ``done()`` when each piece ends,
    ``wait()`` / ``wait_async()`` until the counter is zero (a wait that times
    out or whose ``ctx`` ends raises and changes nothing). ``go(fn, *args)``
    does all three for a function run on a worker thread. A negative counter
    raises ``ValueError``.
    """

    __slots__ = ("_lock", "_count", "_zero", "__weakref__")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0
        self._zero: _DoneChan | None = None  # closed when the counter returns to 0

    def add(self, n: int = 1) -> None:
        """Add ``n`` (may be negative) to the counter."""
        if n.__class__ is not int:
            raise TypeError(f"WaitGroup.add(n): n must be an int, not {type(n).__name__}")
        lock = self._lock
        lock.acquire()
        try:
            count = self._count + n
            if count < 0:
                raise ValueError(f"WaitGroup counter would go negative ({self._count} + {n})")
            self._count = count
            zero = self._zero if count == 0 else None
            if zero is not None:
                self._zero = None
        finally:
            lock.release()
        if zero is not None:
            zero._end()

    def done(self) -> None:
        """``add(-1)``."""
        self.add(-1)

    def _channel(self) -> _DoneChan | None:
        with self._lock:
            if self._count == 0:
                return None
            if self._zero is None:
                self._zero = _DoneChan(self)
            return self._zero

    def wait(self, *, timeout: float | None = None, ctx: Context | None = None) -> None:
        """Block until the counter is zero (``TimeoutError``/``ctx.err()`` otherwise)."""
        ch = self._channel()
        if ch is not None:
            ch.recv_ok(timeout=timeout, ctx=ctx)

    async def wait_async(self, *, timeout: float | None = None, ctx: Context | None = None) -> None:
        """Async twin of ``wait``."""
        ch = self._channel()
        if ch is not None:
            await ch.recv_ok_async(timeout=timeout, ctx=ctx)

    def go(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run ``fn(*args, **kwargs)`` on a worker thread, counted by this group.

        An exception in ``fn`` is reported by ``threading.excepthook`` (use
        ``gocon.ErrGroup`` to collect errors)."""
        if not callable(fn):
            raise TypeError(f"WaitGroup.go() needs a callable, not {type(fn).__name__}")
        from ._workers import submit

        self.add(1)

        def run() -> None:
            try:
                fn(*args, **kwargs)
            finally:
                self.done()

        submit(run)

    @property
    def count(self) -> int:
        """The counter now."""
        return self._count

    def __repr__(self) -> str:
        return f"<gocon.WaitGroup count={self._count}>"
