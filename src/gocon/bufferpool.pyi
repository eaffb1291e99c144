# Typing surface of gocon.bufferpool. At run time BufferPool is the native C
# type with the Python-level methods of bufferpool.py installed on it.
from types import TracebackType
from typing import final

from typing_extensions import Buffer as _BufferProtocol

from ._poolstats import BufferPoolStats as BufferPoolStats, ClassStats as ClassStats

__all__ = ["Buffer", "BufferPool", "BufferPoolStats", "ClassStats"]

@final
class Buffer(_BufferProtocol):
    """A writable block from a ``BufferPool``.

    It supports the buffer protocol: pass it to ``memoryview``,
    ``socket.recv_into``, ``file.readinto`` or return it from
    ``asyncio.BufferedProtocol.get_buffer``. ``len(buf)`` is the size asked
    for; ``buf.capacity`` the size of the block behind it. After
    ``pool.put(buf)`` every use raises ``ValueError``: a stale reference never
    reaches a block that belongs to someone else.
    """

    def __buffer__(self, flags: int, /) -> memoryview: ...
    def __release_buffer__(self, buffer: memoryview, /) -> None: ...
    def __len__(self) -> int: ...
    @property
    def capacity(self) -> int:
        """Bytes in the block behind this buffer (its size class)."""
    @property
    def returned(self) -> bool:
        """True once the buffer was put back (it is dead then)."""
    @property
    def pool(self) -> BufferPool:
        """The pool that issued this buffer."""

class BufferPool:
    """A pool of writable byte buffers in size classes, for I/O without a
    fresh allocation per read.

    Use it where a program reads into large buffers often: hand ``get(n)``
    to ``recv_into`` or ``BufferedProtocol.get_buffer`` and ``put`` the buffer
    back when its bytes are consumed. Classes take four steps per doubling
    from ``min_size`` to ``max_size`` (at most 20% slack); larger requests are
    served unpooled. Each class keeps at most ``max_retained`` idle bytes,
    and idle blocks age out at garbage collections like a ``Pool``'s.
    With ``zero=True`` blocks are cleared on ``put()``, so no caller sees
    another's bytes.

    Misuse raises and corrupts nothing: ``put`` of a buffer twice or from
    another pool raises ``ValueError``, while a memoryview is alive
    ``BufferError`` (the buffer stays yours). Thread-safe; never blocks.
    """

    def __init__(
        self, min_size: int = 512, max_size: int = 4 << 20, *, max_retained: int = 16 << 20, zero: bool = False
    ) -> None: ...
    def get(self, n: int) -> Buffer:
        """A writable buffer of exactly ``n`` bytes from the smallest class that fits."""
    def put(self, buf: Buffer) -> None:
        """Return ``buf``; the object is dead afterwards. Release its memoryviews first."""
    def flip(self) -> None:
        """Drop the victim generation; the live one becomes the victim."""
    def class_for(self, n: int) -> int | None:
        """The block size that serves ``get(n)``, or None when unpooled."""
    def borrow(self, n: int) -> _BorrowBuffer:
        """``with pool.borrow(n) as buf:`` -- get a buffer, always put it back."""
    def stats(self) -> BufferPoolStats:
        """A snapshot of the counters: totals, per class, and oversize."""
    def trim(self) -> int:
        """Free every idle block now; return the bytes freed."""
    def check(self) -> None:
        """Verify internal invariants (debugging aid); AssertionError names the first broken one."""
    @property
    def min_size(self) -> int:
        """Smallest block size."""
    @property
    def max_size(self) -> int:
        """Largest pooled request; larger ones are served unpooled."""
    @property
    def max_retained(self) -> int:
        """Idle bytes each size class may keep."""
    @property
    def zero(self) -> bool:
        """Whether blocks are cleared on put()."""
    @property
    def class_sizes(self) -> tuple[int, ...]:
        """Every block size, smallest first."""

class _BorrowBuffer:
    def __enter__(self) -> Buffer: ...
    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
