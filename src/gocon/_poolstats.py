"""The counters ``Pool.stats()`` and ``BufferPool.stats()`` return.

Defined once, here, for both the run-time layers (pool.py, bufferpool.py)
and their typing stubs (pool.pyi, bufferpool.pyi), which re-export them.
"""

from __future__ import annotations

from typing import TypedDict

__all__ = ["BufferPoolStats", "ClassStats", "PoolStats"]


class PoolStats(TypedDict):
    """Counters of a ``Pool``, summed over its shards (a snapshot)."""

    hits: int  #: get() served from the live generation
    misses: int  #: get() found nothing and called new() (or returned None)
    puts: int  #: put() calls that reached the pool (None is not counted)
    victim_hits: int  #: get() served from the victim generation
    dropped: int  #: objects released by flips, clear() or a full shard
    size: int  #: idle objects held now, live + victim
    victim_size: int  #: of which in the victim generation
    flips: int  #: generation flips so far
    shards: int  #: per-CPU shards


class _BlockCounters(TypedDict):
    """What a BufferPool counts, per size class and in total."""

    hits: int
    misses: int
    puts: int
    victim_hits: int
    dropped: int  #: blocks freed by flips, trim() or the retention cap
    abandoned: int  #: buffers garbage-collected without put()
    outstanding: int  #: issued and still alive, not yet put back
    size: int  #: idle blocks held, live + victim
    victim_size: int


class ClassStats(_BlockCounters):
    """Counters of one size class (or of the unpooled, oversize requests)."""

    block_size: int  #: bytes per block (0 for the oversize row)


class BufferPoolStats(_BlockCounters):
    """Totals over all classes, plus the per-class rows."""

    idle_bytes: int  #: bytes held in idle blocks
    classes: dict[int, ClassStats]  #: by block size
    oversize: ClassStats  #: requests above max_size


#: The counter names shared by every row (the order of the C struct).
BLOCK_COUNTERS: tuple[str, ...] = tuple(_BlockCounters.__annotations__)
