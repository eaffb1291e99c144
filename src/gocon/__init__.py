"""gocon: Go's concurrency patterns for Python.

* ``Pool``, ``BufferPool`` -- Go's sync.Pool, on a native per-CPU core.
* ``Chan``, ``select`` -- Go channels for threads, asyncio and trio at once.
* ``Context`` and the ``with_*`` functions -- Go's context package.
* ``ErrGroup``, ``Semaphore``, ``WaitGroup``, ``Once`` --
  Go's x/sync/errgroup, x/sync/semaphore and sync, for threads and tasks.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from ._select import default, select, select_async
from .bufferpool import Buffer, BufferPool
from .chan import Chan, ChanStatistics, Closed
from .context import (
    Canceled,
    Context,
    DeadlineExceeded,
    background,
    cause,
    with_cancel,
    with_cancel_cause,
    with_deadline,
    with_timeout,
    with_value,
)
from .errgroup import ErrGroup
from .once import Once
from .pool import Pool
from .semaphore import Semaphore
from .waitgroup import WaitGroup

try:
    __version__ = version("gocon")
except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    __version__ = "0+unknown"

__all__ = [
    "Buffer",
    "BufferPool",
    "Canceled",
    "Chan",
    "ChanStatistics",
    "Closed",
    "Context",
    "DeadlineExceeded",
    "ErrGroup",
    "Once",
    "Pool",
    "Semaphore",
    "WaitGroup",
    "__version__",
    "background",
    "cause",
    "default",
    "select",
    "select_async",
    "with_cancel",
    "with_cancel_cause",
    "with_deadline",
    "with_timeout",
    "with_value",
]
