"""Pool: Go's ``sync.Pool`` for Python objects, on a native per-CPU core.

Use a Pool to reuse objects that are expensive to build and cheap to reset --
large buffers, parsers, compiled state -- across many short tasks. It is not a
cache: the pool may drop anything it holds at any time (see *Lifetime*), and
``get()`` falls back to ``new()``.

Lifetime (Go's policy): at each full garbage collection the live objects
become the *victim* generation and the previous victims are dropped. A busy
pool refills its live generation between collections; an idle pool is empty
after two. See ``gocon._victim`` for when exactly a flip happens.

Thread safety: every method may be called from any thread, task or ``__del__``.
``get``/``put`` run in C without releasing the GIL; on free-threaded CPython
each shard has its own lock.
"""

from __future__ import annotations

from types import TracebackType
from types import GenericAlias
from typing import Any, Callable, Generic, TypeVar

from . import _victim
from ._native import SHARDS, NativePool, extend, ffi, lib
from ._poolstats import PoolStats
from ._victim import flip_all, min_flip_interval, set_min_flip_interval

T = TypeVar("T")

__all__ = ["Pool", "PoolStats", "flip_all", "min_flip_interval", "set_min_flip_interval"]


class _PoolLayer(Generic[T]):
    """A per-CPU sharded pool of reusable objects.

    ``Pool(new=None, *, reset=None, kind=None, max_idle=None)``

    * ``new``: called with no arguments by ``get()`` on a miss. Without it a
      miss returns ``None`` (type the pool ``Pool[X | None]`` then).
    * ``reset``: called on every object before ``put()`` stores it. If it
      raises, the exception propagates and the object is not stored.
    * ``kind``: a type; ``put()`` of anything else raises ``TypeError``.
    * ``max_idle``: approximate cap on idle live objects (each shard keeps at
      most its share, rounded up); ``put()`` beyond it drops the object.

    ``get()`` returns an object that was put back, or ``new()``; ``put(obj)``
    offers one back (``None`` is ignored). Never put an object that something
    else still uses: the next ``get()`` may hand it to another thread.

    ``get``, ``put``, ``flip`` and ``clear`` are C methods of the native type;
    the methods below are installed on it by ``gocon._native.extend``.
    """

    __class_getitem__ = classmethod(GenericAlias)

    def __init__(
        self,
        new: Callable[[], T] | None = None,
        *,
        reset: Callable[[T], object] | None = None,
        kind: type | None = None,
        max_idle: int | None = None,
    ) -> None:
        # Arguments were validated and stored by the C tp_new.
        _victim.register(self)  # type: ignore[arg-type]

    def borrow(self) -> _Borrow[T]:
        """``with pool.borrow() as obj:`` -- get an object, always put it back.

        The object is put back when the block exits, also on an exception or
        a cancellation; do not keep references to it past the block.
        """
        return _Borrow(self)  # type: ignore[arg-type]

    def stats(self) -> PoolStats:
        """A snapshot of the pool's counters (see ``PoolStats``)."""
        out = ffi.new("gocon_pool_stats *")
        if lib.gocon_pool_snapshot(id(self), out, ffi.NULL, 0) != 0:  # pragma: no cover
            raise RuntimeError("gocon_pool_snapshot rejected the pool")
        return PoolStats(
            hits=out.hits,
            misses=out.misses,
            puts=out.puts,
            victim_hits=out.victim_hits,
            dropped=out.dropped,
            size=out.size,
            victim_size=out.victim_size,
            flips=out.flips,
            shards=SHARDS,
        )

    def __len__(self) -> int:
        """Idle objects held now, live + victim."""
        return self.stats()["size"]

    def __repr__(self) -> str:
        s = self.stats()
        new = getattr(self.new, "__qualname__", repr(self.new))  # type: ignore[attr-defined]
        return (
            f"<gocon.Pool new={new} size={s['size']} (victim {s['victim_size']}) "
            f"hits={s['hits']} misses={s['misses']} shards={s['shards']}>"
        )


Pool = extend(NativePool, _PoolLayer)


class _Borrow(Generic[T]):
    __slots__ = ("_pool", "_obj")

    def __init__(self, pool: Any) -> None:
        self._pool = pool
        self._obj: Any = None

    def __enter__(self) -> T:
        self._obj = self._pool.get()
        return self._obj  # type: ignore[no-any-return]

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        obj, self._obj = self._obj, None
        self._pool.put(obj)

