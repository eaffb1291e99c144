# Typing surface of gocon.pool. At run time Pool is the native C type with the
# Python-level methods of pool.py installed on it (see _native.extend).
from types import TracebackType
from typing import Callable, Generic, TypeVar

from ._poolstats import PoolStats as PoolStats

T = TypeVar("T")

__all__ = ["Pool", "PoolStats", "flip_all", "min_flip_interval", "set_min_flip_interval"]

class Pool(Generic[T]):
    """A per-CPU sharded pool of reusable objects: Go's ``sync.Pool``.

    Use it for objects that are expensive to build and cheap to reset --
    large buffers, parsers, compiled state -- reused across many short tasks.
    It is not a cache: at each full garbage collection the live objects
    become the victim generation and the previous victims are dropped, so a
    busy pool keeps hitting and an idle one is empty after two collections.

    ``new`` is called by ``get()`` on a miss (without it a miss returns
    None); ``reset`` runs on every object ``put()`` stores; with ``kind`` a
    ``put()`` of anything else raises ``TypeError``; ``max_idle`` caps the
    idle live objects. Thread-safe, never blocks, callable from ``__del__``.
    """

    def __init__(
        self,
        new: Callable[[], T] | None = None,
        *,
        reset: Callable[[T], object] | None = None,
        kind: type | None = None,
        max_idle: int | None = None,
    ) -> None: ...
    def get(self) -> T:
        """A pooled object, or ``new()`` on a miss (``None`` without ``new``)."""
    def put(self, obj: T | None) -> None:
        """Offer ``obj`` back; ``None`` is ignored."""
    def flip(self) -> None:
        """Drop the victim generation; the live one becomes the victim."""
    def clear(self) -> None:
        """Drop every idle object, live and victim."""
    def borrow(self) -> _Borrow[T]:
        """``with pool.borrow() as obj:`` -- get an object, always put it back."""
    def stats(self) -> PoolStats:
        """A snapshot of the pool's counters."""
    def __len__(self) -> int: ...
    @property
    def new(self) -> Callable[[], T] | None:
        """The factory called by get() on a miss, or None."""
    @property
    def reset(self) -> Callable[[T], object] | None:
        """Called on every object before put() stores it, or None."""
    @property
    def kind(self) -> type | None:
        """The type put() accepts, or None for any."""
    @property
    def max_idle(self) -> int | None:
        """Approximate cap on idle live objects, or None."""
    @property
    def shards(self) -> int:
        """Number of per-CPU shards."""

class _Borrow(Generic[T]):
    def __enter__(self) -> T: ...
    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

def flip_all() -> int: ...
def min_flip_interval() -> float: ...
def set_min_flip_interval(seconds: float) -> None: ...
