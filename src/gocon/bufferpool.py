"""BufferPool: size-classed, reusable byte buffers for I/O.

Hand a pooled buffer to ``socket.recv_into``, ``readinto`` or
``asyncio.BufferedProtocol.get_buffer`` instead of allocating a fresh
``bytearray`` per request; give it back with ``put()`` when done. At 64 KiB
and above this saves the allocation *and* the zero-fill of every request.

Size classes: ``min_size`` (rounded up to a power of two, at least 16), then
four steps per doubling -- 1.25x, 1.5x, 1.75x, 2x -- up to ``max_size``. A
request takes the smallest class that fits, so at most 20% of a block is
slack (plain powers of two waste up to 50%, e.g. 8 KiB for "4 KiB + a
header"). Requests above ``max_size`` are served unpooled and freed on
``put()``, so one huge request never pins memory in the pool.

Safety: ``get(n)`` returns a ``Buffer`` of exactly ``n`` bytes. After
``put(buf)`` that object is dead (every use raises ``ValueError``), so a
stale reference can never write into a block that was handed to someone
else. ``put()`` raises ``BufferError`` while a memoryview of the buffer is
alive (the buffer stays yours), and ``ValueError`` for a buffer returned twice
or not issued by this pool. A buffer dropped without ``put()`` is freed and
counted as ``abandoned`` in ``BufferPool.stats``.

Data: pooled memory is **not** cleared by default -- a buffer may hold bytes a
previous user wrote. If those may be secrets, create the pool with
``zero=True``: blocks are zeroed on ``put()`` and fresh ones come zeroed.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from . import _victim
from ._native import Buffer, NativeBufferPool, extend, ffi, lib
from ._poolstats import BLOCK_COUNTERS, BufferPoolStats, ClassStats

__all__ = ["Buffer", "BufferPool", "BufferPoolStats", "ClassStats"]


class _BufferPoolLayer:
    """A pool of writable byte buffers in size classes.

    ``BufferPool(min_size=512, max_size=4 << 20, *, max_retained=16 << 20, zero=False)``

    * ``max_retained``: idle bytes each size class keeps at most (at least one
      block when non-zero); ``put()`` beyond it frees the block.
    * ``zero``: clear blocks on ``put()`` and hand out zeroed fresh blocks.

    Like ``gocon.Pool``, idle blocks age out through the victim
    generation at full garbage collections; ``trim`` frees them now.
    """

    def __init__(
        self,
        min_size: int = 512,
        max_size: int = 4 << 20,
        *,
        max_retained: int = 16 << 20,
        zero: bool = False,
    ) -> None:
        # Arguments were validated and stored by the C tp_new.
        _victim.register(self)  # type: ignore[arg-type]

    def borrow(self, n: int) -> _BorrowBuffer:
        """``with pool.borrow(n) as buf:`` -- get a buffer, always put it back.

        Release every memoryview of ``buf`` before the block ends, or the
        ``put()`` on exit raises ``BufferError`` (and the buffer is freed when
        collected, counted as ``abandoned``).
        """
        return _BorrowBuffer(self, n)

    def stats(self) -> BufferPoolStats:
        """A snapshot of the counters: totals, per class, and oversize."""
        n = lib.gocon_bufpool_nclasses(id(self))
        rows = ffi.new("gocon_class_stats[]", n + 1)
        if n < 0 or lib.gocon_bufpool_snapshot(id(self), rows, n + 1) != 0:  # pragma: no cover
            raise RuntimeError("gocon_bufpool_snapshot rejected the pool")
        classes: dict[int, ClassStats] = {}
        for row in rows[0:n]:
            classes[row.block_size] = _row(row)
        oversize = _row(rows[n])
        totals = {f: sum(c[f] for c in classes.values()) + oversize[f] for f in BLOCK_COUNTERS}  # type: ignore[literal-required]
        idle = sum(size * c["size"] for size, c in classes.items())
        return BufferPoolStats(**totals, idle_bytes=idle, classes=classes, oversize=oversize)  # type: ignore[typeddict-item]

    def trim(self) -> int:
        """Free every idle block now (and return freed pages to the OS where
        the allocator allows); return the bytes freed. Buffers in use are
        untouched."""
        freed: int = lib.gocon_bufpool_trim(id(self))
        if freed < 0:  # pragma: no cover
            raise RuntimeError("gocon_bufpool_trim rejected the pool")
        return freed

    def check(self) -> None:
        """Verify the pool's internal invariants (debugging aid).

        Raises ``AssertionError`` naming the first broken invariant: a class
        over its retention cap, a negative outstanding count, a block held twice.
        """
        err = ffi.new("char[]", 256)
        if lib.gocon_bufpool_check(id(self), err, len(err)) != 0:
            raise AssertionError(ffi.string(err).decode())

    def __repr__(self) -> str:
        s = self.stats()
        return (
            f"<gocon.BufferPool {self.min_size}..{self.max_size} bytes, "
            f"{len(self.class_sizes)} classes, idle={s['size']} ({s['idle_bytes']} bytes), "
            f"outstanding={s['outstanding']}>"
        )


BufferPool = extend(NativeBufferPool, _BufferPoolLayer)


def _row(row: object) -> ClassStats:
    return ClassStats(block_size=row.block_size, **{f: getattr(row, f) for f in BLOCK_COUNTERS})  # type: ignore[attr-defined,typeddict-item]


class _BorrowBuffer:
    __slots__ = ("_pool", "_n", "_buf")

    def __init__(self, pool: Any, n: int) -> None:
        self._pool = pool
        self._n = n
        self._buf: Buffer | None = None

    def __enter__(self) -> Buffer:
        self._buf = self._pool.get(self._n)
        return self._buf

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        buf, self._buf = self._buf, None
        if buf is not None:
            self._pool.put(buf)
