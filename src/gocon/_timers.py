"""One timer thread for every deadline in the process.

``with_timeout`` / ``with_deadline`` contexts schedule their expiry here: a
heap ordered by due time, served by a single daemon thread that exists only
while timers are pending (it exits when the last one fires or is cancelled,
so an idle program has no timer thread). Creating a deadline is a heap push;
cancelling is O(1) (the entry is marked and dropped lazily; the heap is
rebuilt when cancelled entries outnumber live ones).

Callbacks run in the timer thread and must not block: a context's expiry
only closes its done channel, and waking a waiter never blocks.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from typing import Callable

__all__ = ["Timer", "schedule"]


class Timer:
    __slots__ = ("when", "fn")

    def __init__(self, when: float, fn: Callable[[], None]) -> None:
        self.when = when
        self.fn: Callable[[], None] | None = fn

    def cancel(self) -> None:
        """Stop the timer if it has not fired; idempotent."""
        _service.cancel(self)


class _Service:
    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._heap: list[tuple[float, int, Timer]] = []
        self._seq = itertools.count()
        self._live = 0
        self._thread: threading.Thread | None = None

    def schedule(self, when: float, fn: Callable[[], None]) -> Timer:
        t = Timer(when, fn)
        with self._cond:
            heapq.heappush(self._heap, (when, next(self._seq), t))
            self._live += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="gocon-timers", daemon=True)
                self._thread.start()
            elif self._heap[0][2] is t:
                self._cond.notify()  # new earliest deadline
        return t

    def cancel(self, t: Timer) -> None:
        with self._cond:
            if t.fn is None:
                return
            t.fn = None
            self._live -= 1
            if self._live == 0:
                self._cond.notify()  # let the thread exit
            elif len(self._heap) > 64 and len(self._heap) > 2 * self._live:
                self._heap = [e for e in self._heap if e[2].fn is not None]
                heapq.heapify(self._heap)

    def pending(self) -> int:
        with self._cond:
            return self._live

    def _run(self) -> None:
        cond = self._cond
        with cond:
            while True:
                heap = self._heap
                while heap and heap[0][2].fn is None:
                    heapq.heappop(heap)
                if not heap:
                    self._thread = None
                    return
                when, _, t = heap[0]
                delay = when - time.monotonic()
                if delay > 0:
                    cond.wait(delay)
                    continue
                heapq.heappop(heap)
                fn, t.fn = t.fn, None
                self._live -= 1
                cond.release()
                try:
                    fn()  # type: ignore[misc]
                except BaseException:  # pragma: no cover - callbacks are ours
                    import traceback

                    traceback.print_exc()
                finally:
                    cond.acquire()


_service = _Service()


def schedule(when: float, fn: Callable[[], None]) -> Timer:
    """Call ``fn()`` in the timer thread at ``time.monotonic() >= when``."""
    return _service.schedule(when, fn)


def pending() -> int:
    """Timers scheduled and not yet fired or cancelled."""
    return _service.pending()
