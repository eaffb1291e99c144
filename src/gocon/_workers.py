"""Worker threads that groups reuse.

Starting a thread costs ~77 us here; handing a job to a warm, idle worker
~5 us. A job goes to an idle worker if there is one; otherwise a new worker
starts, up to a soft cap (``SOFT_CAP``, a few per CPU); past the cap the job
waits in a FIFO for the next worker that finishes. Go's semantics need every
``go`` to make progress even when all running functions wait for each other,
so a job must never wait for ever: if the oldest queued job has waited
``STARVED_SECONDS`` with no worker free, one more worker starts (and again,
as long as jobs keep starving), as the .NET thread pool does. A worker that
stays idle for ``IDLE_SECONDS`` exits, so an idle program holds no threads.

Lock: ``_lock`` guards the idle stack, the queue and the counts; a job is
never run, and no thread is started, while it is held.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import deque
from typing import Callable

from . import _timers

__all__ = ["IDLE_SECONDS", "SOFT_CAP", "STARVED_SECONDS", "idle_workers", "submit", "workers"]

IDLE_SECONDS = 2.0
SOFT_CAP = 4 * (os.cpu_count() or 1) + 4
STARVED_SECONDS = 0.02

Job = Callable[[], None]

_lock = threading.Lock()
_idle: list[_Worker] = []
_queue: deque[tuple[float, Job]] = deque()  # (queued at, job) waiting for a worker
_count = 0
_watchdog: _timers.Timer | None = None


class _Worker:
    __slots__ = ("job", "ready")

    def __init__(self) -> None:
        self.job: Job | None = None
        self.ready = threading.Lock()  # released when a job is handed over
        self.ready.acquire()

    def loop(self, job: Job) -> None:
        global _count
        while True:
            try:
                job()
            except BaseException:  # jobs report their own errors; never kill the pool
                sys.excepthook(*sys.exc_info())  # type: ignore[arg-type]
            with _lock:
                if _queue:
                    job = _queue.popleft()[1]
                    continue
                _idle.append(self)
            if not self.ready.acquire(True, IDLE_SECONDS):
                with _lock:
                    if self in _idle:  # nobody handed us a job: retire
                        _idle.remove(self)
                        _count -= 1
                        return
                self.ready.acquire()  # a job is being handed over right now
            job, self.job = self.job, None  # type: ignore[assignment]


def _start(job: Job) -> None:
    w = _Worker()
    threading.Thread(target=w.loop, args=(job,), name="gocon-worker", daemon=True).start()


def submit(job: Job) -> None:
    """Run ``job()`` on an idle worker, a new worker, or the next free one."""
    global _count, _watchdog
    start = False
    with _lock:
        w = _idle.pop() if _idle else None
        if w is None:
            if _count < SOFT_CAP:
                _count += 1
                start = True
            else:
                _queue.append((time.monotonic(), job))
                if _watchdog is None:
                    _watchdog = _timers.schedule(time.monotonic() + STARVED_SECONDS, _check_starved)
                return
    if w is not None:
        w.job = job
        w.ready.release()
    elif start:
        _start(job)


def _check_starved() -> None:
    """Timer callback: if the oldest queued job waited too long, add a worker."""
    global _count, _watchdog
    job = None
    with _lock:
        _watchdog = None
        if _queue and time.monotonic() - _queue[0][0] >= STARVED_SECONDS:
            job = _queue.popleft()[1]
            _count += 1
        if _queue:
            _watchdog = _timers.schedule(time.monotonic() + STARVED_SECONDS, _check_starved)
    if job is not None:
        _start(job)


def idle_workers() -> int:
    with _lock:
        return len(_idle)


def workers() -> int:
    """Worker threads alive now (busy or idle)."""
    with _lock:
        return _count
