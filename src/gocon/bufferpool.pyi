# Typing surface of gocon.bufferpool. At run time BufferPool is the native C
# type with the Python-level methods of bufferpool.py installed on it.
from types import TracebackType
from typing import TypedDict, final

from typing_extensions import Buffer as _BufferProtocol

__all__ = ["Buffer", "BufferPool", "BufferPoolStats", "ClassStats"]

class ClassStats(TypedDict):
    block_size: int
    hits: int
    misses: int
    puts: int
    victim_hits: int
    dropped: int
    abandoned: int
    outstanding: int
    size: int
    victim_size: int

class BufferPoolStats(TypedDict):
    hits: int
    misses: int
    puts: int
    victim_hits: int
    dropped: int
    abandoned: int
    outstanding: int
    size: int
    victim_size: int
    idle_bytes: int
    classes: dict[int, ClassStats]
    oversize: ClassStats

@final
class Buffer(_BufferProtocol):
    """A writable block from a BufferPool, exported through the buffer protocol."""

    def __buffer__(self, flags: int, /) -> memoryview: ...
    def __release_buffer__(self, buffer: memoryview, /) -> None: ...
    def __len__(self) -> int: ...
    @property
    def capacity(self) -> int: ...
    @property
    def returned(self) -> bool: ...
    @property
    def pool(self) -> BufferPool: ...

class BufferPool:
    """A pool of writable byte buffers in size classes."""

    def __init__(
        self, min_size: int = 512, max_size: int = 4 << 20, *, max_retained: int = 16 << 20, zero: bool = False
    ) -> None: ...
    def get(self, n: int) -> Buffer:
        """A writable buffer of exactly ``n`` bytes."""
    def put(self, buf: Buffer) -> None:
        """Return ``buf``; the object is dead afterwards."""
    def flip(self) -> None: ...
    def class_for(self, n: int) -> int | None: ...
    def borrow(self, n: int) -> _BorrowBuffer: ...
    def stats(self) -> BufferPoolStats: ...
    def trim(self) -> int: ...
    def check(self) -> None: ...
    @property
    def min_size(self) -> int: ...
    @property
    def max_size(self) -> int: ...
    @property
    def max_retained(self) -> int: ...
    @property
    def zero(self) -> bool: ...
    @property
    def class_sizes(self) -> tuple[int, ...]: ...

class _BorrowBuffer:
    def __enter__(self) -> Buffer: ...
    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
