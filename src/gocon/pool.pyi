# Typing surface of gocon.pool. At run time Pool is the native C type with the
# Python-level methods of pool.py installed on it (see _native.extend).
from types import TracebackType
from typing import Callable, Generic, TypedDict, TypeVar

T = TypeVar("T")

__all__ = ["Pool", "PoolStats", "flip_all", "min_flip_interval", "set_min_flip_interval"]

class PoolStats(TypedDict):
    hits: int
    misses: int
    puts: int
    victim_hits: int
    dropped: int
    size: int
    victim_size: int
    flips: int
    shards: int

class Pool(Generic[T]):
    """A per-CPU sharded pool of reusable objects (Go's sync.Pool)."""

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
    def new(self) -> Callable[[], T] | None: ...
    @property
    def reset(self) -> Callable[[T], object] | None: ...
    @property
    def kind(self) -> type | None: ...
    @property
    def max_idle(self) -> int | None: ...
    @property
    def shards(self) -> int: ...

class _Borrow(Generic[T]):
    def __enter__(self) -> T: ...
    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

def flip_all() -> int: ...
def min_flip_interval() -> float: ...
def set_min_flip_interval(seconds: float) -> None: ...
