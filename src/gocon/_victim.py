"""The victim policy: pools drain when the program stops using them.

Go's sync.Pool moves its live objects to a *victim* generation at every
garbage collection and drops the old victim, so an idle pool is empty after
two cycles while a busy one keeps its hit rate. gocon does the same from
``gc.callbacks``:

* A flip happens at the start of the *oldest automatic* collection of the
  running interpreter: generation 2 on CPython 3.11-3.13, generation 1 on
  3.14+ (whose incremental collector reports 1 for its automatic passes), and
  generation 0 on free-threaded builds (which always scan the whole heap).
* Automatic flips are at least ``min_flip_interval`` seconds apart, so a
  bursty program that triggers many collections does not empty its pools
  between bursts (flipping on every young collection measured a 100% miss
  rate in such a workload).
* An explicit ``gc.collect()`` always flips. The callback cannot see why a
  collection runs, so it infers it: an automatic collection only starts once
  the young generation's count has passed its threshold while gc is enabled;
  anything else is explicit. (On 3.12+ a ``gc.collect()`` issued in the brief
  window between crossing the threshold and the automatic run is taken for an
  automatic one and may be rate-limited; nothing else is affected.)

Pools register through a ``WeakSet``: registration never keeps a pool alive.
"""

from __future__ import annotations

import gc
import sys
import sysconfig
import threading
import time
import weakref
from typing import Any, Protocol


class _Flippable(Protocol):
    def flip(self) -> None: ...


_FREE_THREADED = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
if _FREE_THREADED:
    OLDEST_AUTOMATIC_GENERATION = 0
elif sys.version_info >= (3, 14):
    OLDEST_AUTOMATIC_GENERATION = 1
else:
    OLDEST_AUTOMATIC_GENERATION = 2

_pools: weakref.WeakSet[_Flippable] = weakref.WeakSet()
_lock = threading.Lock()
_min_interval = 1.0
_last_flip = float("-inf")


def register(pool: _Flippable) -> None:
    """Flip ``pool`` at every qualifying collection, for as long as it lives."""
    with _lock:
        _pools.add(pool)


def min_flip_interval() -> float:
    """Seconds that must pass between two automatic flips (default 1.0)."""
    return _min_interval


def set_min_flip_interval(seconds: float) -> None:
    """Set the minimum time between automatic flips; 0 flips at every one.

    Explicit ``gc.collect()`` calls and ``flip_all`` ignore it.
    """
    global _min_interval
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"seconds must be a number, not {type(seconds).__name__}")
    if not seconds >= 0:  # also rejects NaN
        raise ValueError(f"seconds must be >= 0, got {seconds!r}")
    _min_interval = float(seconds)


def flip_all() -> int:
    """Flip every live registered pool now; return how many were flipped."""
    global _last_flip
    with _lock:
        pools = list(_pools)
        _last_flip = time.monotonic()
    # Flip outside the lock: dropping victims may run __del__, which may
    # create or register pools.
    for pool in pools:
        pool.flip()
    return len(pools)


def _collection_is_automatic(generation: int) -> bool:
    if not gc.isenabled():
        return False
    threshold0 = gc.get_threshold()[0]
    if threshold0 == 0:
        return False
    if _FREE_THREADED or sys.version_info >= (3, 14):
        # Manual gc.collect() reports generation 2; automatic passes never do.
        return generation < 2
    return gc.get_count()[0] > threshold0


def _on_gc(phase: str, info: dict[str, Any]) -> None:
    if phase != "start":
        return
    generation = info.get("generation", 0)
    if generation < OLDEST_AUTOMATIC_GENERATION:
        return
    if _collection_is_automatic(generation):
        if time.monotonic() - _last_flip < _min_interval:
            return
    flip_all()


def install() -> None:
    """Install the gc callback (idempotent; done on import of gocon)."""
    if _on_gc not in gc.callbacks:
        gc.callbacks.append(_on_gc)


install()
