"""Pool: the contract (../shared/API.md) and Go's sync.Pool behaviours."""

from __future__ import annotations

import gc
import sys
import threading
import weakref

import pytest

from gocon import Pool
from gocon import _victim
from gocon._native import SHARDS


class Obj:
    """A weak-referenceable object with room for test bookkeeping."""

    __slots__ = ("holder", "tag", "__weakref__")

    def __init__(self) -> None:
        self.holder = None
        self.tag = 0


def test_miss_without_new_returns_none():
    p = Pool()
    assert p.get() is None
    assert p.stats()["misses"] == 1


def test_miss_calls_new_and_put_get_reuses(no_gc):
    made = []

    def new():
        made.append(Obj())
        return made[-1]

    p = Pool(new)
    a = p.get()
    assert made == [a]
    p.put(a)
    assert p.get() is a
    assert len(made) == 1
    s = p.stats()
    assert (s["hits"], s["misses"], s["puts"]) == (1, 1, 1)


def test_put_none_is_ignored():
    p = Pool(Obj)
    p.put(None)
    assert p.stats()["puts"] == 0
    assert len(p) == 0


def test_reset_runs_before_store(no_gc):
    seen = []
    p = Pool(Obj, reset=lambda o: seen.append(o) or setattr(o, "tag", 0))
    o = Obj()
    o.tag = 42
    p.put(o)
    assert seen == [o]
    assert p.get().tag == 0


def test_reset_that_raises_stores_nothing():
    def reset(o):
        raise RuntimeError("cannot reset")

    p = Pool(Obj, reset=reset)
    with pytest.raises(RuntimeError, match="cannot reset"):
        p.put(Obj())
    assert len(p) == 0
    assert p.stats()["puts"] == 0


def test_kind_rejects_other_types_and_accepts_subclasses(no_gc):
    class Sub(Obj):
        __slots__ = ()

    p = Pool(Obj, kind=Obj)
    with pytest.raises(TypeError, match=r"kind=Obj.*got a str"):
        p.put("not an Obj")
    s = Sub()
    p.put(s)
    assert p.get() is s
    assert len(p) == 0


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"new": 3}, TypeError, "new=.*callable"),
        ({"reset": "x"}, TypeError, "reset=.*callable"),
        ({"kind": 3}, TypeError, "kind=.*type"),
        ({"max_idle": -1}, ValueError, "max_idle"),
        ({"max_idle": 1.5}, TypeError, "max_idle"),
        ({"max_idle": True}, TypeError, "max_idle"),
    ],
)
def test_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        Pool(**kwargs)


def test_positional_only_new():
    with pytest.raises(TypeError):
        Pool(Obj, None, None)  # reset and kind are keyword-only


def test_borrow_always_puts_back(no_gc):
    p = Pool(Obj)
    with p.borrow() as a:
        assert isinstance(a, Obj)
    with pytest.raises(KeyError):
        with p.borrow() as b:
            assert b is a
            raise KeyError
    assert p.get() is a


def test_max_idle_caps_the_pool(no_gc):
    p = Pool(Obj, max_idle=4)
    objs = [Obj() for _ in range(50)]
    for o in objs:
        p.put(o)
    s = p.stats()
    assert s["size"] <= 4 + SHARDS - 1
    assert s["dropped"] == 50 - s["size"]
    none = Pool(Obj, max_idle=0)
    none.put(Obj())  # accepted, and dropped
    assert len(none) == 0 and none.stats()["dropped"] == 1


def test_victim_generation_across_collections():
    p = Pool(Obj)
    o = Obj()
    ref = weakref.ref(o)
    p.put(o)
    del o
    gc.collect()  # live -> victim
    s = p.stats()
    assert (s["size"], s["victim_size"], s["flips"]) == (1, 1, 1)
    got = p.get()
    assert got is ref()
    assert p.stats()["victim_hits"] == 1
    p.put(got)
    del got
    gc.collect()
    gc.collect()  # an idle pool is empty after two full collections
    assert len(p) == 0
    assert ref() is None
    assert p.stats()["dropped"] == 1


def test_explicit_collect_flips_despite_rate_limit():
    _victim.set_min_flip_interval(3600)
    p = Pool(Obj)
    p.put(Obj())
    gc.collect()
    gc.collect()
    assert len(p) == 0


def test_automatic_flips_are_rate_limited(monkeypatch):
    p = Pool(Obj)
    monkeypatch.setattr(_victim, "_collection_is_automatic", lambda generation: True)
    start = {"generation": _victim.OLDEST_AUTOMATIC_GENERATION}
    _victim.set_min_flip_interval(3600)
    flips = p.stats()["flips"]
    _victim._on_gc("start", start)  # may flip once: the last flip may be old
    _victim._on_gc("start", start)
    _victim._on_gc("start", start)
    assert p.stats()["flips"] - flips <= 1
    _victim.set_min_flip_interval(0)
    _victim._on_gc("start", start)
    _victim._on_gc("start", start)
    assert p.stats()["flips"] - flips >= 2


def test_young_collections_do_not_flip():
    if _victim.OLDEST_AUTOMATIC_GENERATION == 0:
        pytest.skip("free-threaded builds only report generation 0")
    p = Pool(Obj)
    p.put(Obj())
    flips = p.stats()["flips"]
    gc.collect(0)
    _victim._on_gc("start", {"generation": 0})
    assert p.stats()["flips"] == flips
    assert p.stats()["victim_size"] == 0


def test_manual_or_automatic_inference():
    if _victim._FREE_THREADED or sys.version_info >= (3, 14):
        assert _victim._collection_is_automatic(1)
        assert not _victim._collection_is_automatic(2)
        return
    # Inside an explicit gc.collect() the young count is below its threshold.
    seen = []

    def cb(phase, info):
        if phase == "start" and info["generation"] == 2:
            seen.append(_victim._collection_is_automatic(2))

    gc.callbacks.append(cb)
    try:
        gc.collect()
    finally:
        gc.callbacks.remove(cb)
    assert seen == [False]


def test_flip_and_clear_methods(no_gc):
    p = Pool(Obj)
    a, b = Obj(), Obj()
    p.put(a)
    p.flip()
    p.put(b)
    s = p.stats()
    assert (s["size"], s["victim_size"]) == (2, 1)
    assert p.get() is b  # live before victim
    p.put(b)
    p.clear()
    s = p.stats()
    assert (s["size"], s["dropped"]) == (0, 2)


def test_pool_registration_is_weak():
    p = Pool(Obj)
    ref = weakref.ref(p)
    del p
    gc.collect()
    assert ref() is None


def test_pool_object_cycle_is_collected():
    class Holder:
        def __init__(self, pool):
            self.pool = pool

    p = Pool()
    h = Holder(p)
    p.put(h)  # pool -> holder -> pool
    ref_p, ref_h = weakref.ref(p), weakref.ref(h)
    del p, h
    gc.collect()
    assert ref_p() is None and ref_h() is None


def test_del_reentering_the_pool_during_flip(no_gc):
    p = Pool(Obj)
    events = []

    class Reenter:
        def __del__(self):
            # A finalizer that uses the pool while the pool is dropping it.
            events.append(p.get())
            p.put(Obj())
            p.flip()
            events.append(len(p))

    for _ in range(10):
        p.put(Reenter())
    p.flip()
    p.flip()  # drops the Reenter objects: their __del__ re-enter
    assert len(events) == 20
    s = p.stats()
    assert s["size"] >= 0
    p.clear()
    assert len(p) == 0


def test_threads_never_share_an_object():
    """8 threads x 100k get/put: no duplicate hand-out, no loss."""
    created = []
    lock = threading.Lock()

    def new():
        o = Obj()
        with lock:
            created.append(o)
        return o

    p = Pool(new)
    errors = []
    n_threads, n_iter = 8, 100_000
    barrier = threading.Barrier(n_threads)

    def worker(me):
        barrier.wait()
        get, put = p.get, p.put
        for i in range(n_iter):
            o = get()
            if o.holder is not None:
                errors.append(f"object handed to {me} while held by {o.holder}")
                return
            o.holder = me
            o.tag = i
            if i % 64 == 0:
                o2 = get()  # hold two at once now and then
                if o2 is o or o2.holder is not None:
                    errors.append("duplicate hand-out")
                    return
                put(o2)
            if o.holder != me or o.tag != i:
                errors.append("object changed while held")
                return
            o.holder = None
            put(o)

    was = gc.isenabled()
    gc.disable()  # keep flips (drops) out of the accounting below
    try:
        threads = [threading.Thread(target=worker, args=(k,)) for k in range(n_threads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        if was:
            gc.enable()
    assert errors == []
    s = p.stats()
    assert s["misses"] == len(created)
    assert s["dropped"] == 0
    assert s["size"] == len(created)  # every object came back
    assert s["puts"] == n_threads * (n_iter + -(-n_iter // 64))
    assert s["hits"] + s["victim_hits"] + s["misses"] == s["puts"]
    ids = {id(o) for o in created}
    drained = {id(p.get()) for _ in range(len(created))}
    assert drained == ids  # each object exactly once
    assert len(p) == 0


def test_refcounts_and_memory_flat_over_a_million_ops(no_gc):
    import tracemalloc

    o = Obj()
    p = Pool(Obj)
    p.put(o)
    p.put(p.get())
    before = sys.getrefcount(o)
    tracemalloc.start()
    try:
        snap = tracemalloc.take_snapshot()
        get, put = p.get, p.put
        for _ in range(1_000_000):
            put(get())
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    growth = sum(d.size_diff for d in after.compare_to(snap, "filename"))
    assert growth < 64 * 1024, growth
    assert sys.getrefcount(o) == before
    assert p.stats()["hits"] >= 1_000_000


def test_stats_and_repr_and_generic():
    p = Pool[int](int)
    assert isinstance(p, Pool)
    r = repr(p)
    assert r.startswith("<gocon.Pool new=int")
    assert set(p.stats()) >= {"hits", "misses", "puts", "victim_hits", "dropped", "size"}
    assert p.shards == SHARDS >= 1
    assert p.new is int and p.reset is None and p.kind is None and p.max_idle is None


def _burst_hit_rate(interval: float) -> float:
    """Bursts of 100 gets/puts separated by churn that triggers at least two
    automatic oldest-generation collections; returns the hit rate after the
    first burst (live + victim hits)."""
    _victim.set_min_flip_interval(interval)
    p = Pool(Obj)
    seen = []

    def cb(phase, info):
        if phase == "start" and info["generation"] >= _victim.OLDEST_AUTOMATIC_GENERATION:
            seen.append(1)

    old = gc.get_threshold()
    gc.callbacks.append(cb)
    gc.set_threshold(50, 2, 2)
    try:
        for burst in range(6):
            held = [p.get() for _ in range(100)]
            for o in held:
                p.put(o)
            if burst == 0:
                base = p.stats()
            target = len(seen) + 2
            keep = []
            for i in range(200_000):  # churn until two automatic collections ran
                keep.append([i])
                if len(keep) > 300:
                    keep = []
                if len(seen) >= target:
                    break
            else:
                pytest.skip("could not provoke automatic full collections")
    finally:
        gc.set_threshold(*old)
        gc.callbacks.remove(cb)
    s = p.stats()
    hits = s["hits"] + s["victim_hits"] - base["hits"] - base["victim_hits"]
    return hits / (hits + s["misses"] - base["misses"])


def test_rate_limit_keeps_bursty_workloads_hitting():
    # Flipping at every automatic collection empties the pool between bursts;
    # the default rate limit keeps the victims around for the next burst.
    assert _burst_hit_rate(0.0) < 0.5
    assert _burst_hit_rate(3600.0) > 0.95
