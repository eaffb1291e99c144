"""Stress the native core without the GIL: 8 threads hammer one Pool and one
BufferPool (with flips from a ninth thread), then one SemCount (the
Semaphore's counter); invariants are checked.
Run by tests/freethreaded/run.sh on a free-threaded CPython."""

import os
import sys
import sysconfig
import threading

from gocon._native import _core

assert sysconfig.get_config_var("Py_GIL_DISABLED"), "needs a free-threaded build"
assert not sys._is_gil_enabled(), "the GIL was re-enabled on import"
_core.init(os.cpu_count() or 1)

N_THREADS, N_ITER = 8, 50_000


class Obj:
    __slots__ = ("holder",)

    def __init__(self):
        self.holder = None


def main():
    pool = _core.NativePool(Obj)
    bp = _core.NativeBufferPool(64, 1 << 16)
    errors = []
    stop = threading.Event()
    barrier = threading.Barrier(N_THREADS + 1)

    def worker(me):
        barrier.wait()
        for i in range(N_ITER):
            o = pool.get()
            if o.holder is not None:
                errors.append("pool object handed out twice")
                return
            o.holder = me
            n = (64, 700, 5000)[i % 3]
            b = bp.get(n)
            tag = ((me << 32) | i).to_bytes(8, "little")
            with memoryview(b) as m:
                m[:8] = tag
                m[-8:] = tag
                if i % 7 == 0:
                    try:
                        bp.put(b)  # a view is alive: must refuse
                        errors.append("put succeeded with a live view")
                        return
                    except BufferError:
                        pass
                if m[:8] != tag or m[-8:] != tag:
                    errors.append("buffer overwritten while held")
                    return
            bp.put(b)
            try:
                bp.put(b)
                errors.append("double put accepted")
                return
            except ValueError:
                pass
            if o.holder != me:
                errors.append("pool object changed hands while held")
                return
            o.holder = None
            pool.put(o)

    def flipper():
        barrier.wait()
        while not stop.is_set():
            pool.flip()
            bp.flip()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(N_THREADS)]
    f = threading.Thread(target=flipper)
    f.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    f.join()
    assert not errors, errors[:3]
    s = _core.pool_stats(pool)
    assert s["puts"] == N_THREADS * N_ITER, s
    assert s["hits"] + s["victim_hits"] + s["misses"] == s["puts"], s
    assert _core.bufpool_check(bp) == 0, "outstanding buffers after all were returned"
    pool.clear()
    bp.flip()
    bp.flip()
    print(f"free-threaded stress: ok, {N_THREADS} threads x {N_ITER} iterations; pool {s}")


def semcount():
    # Each thread takes 1..3 units of 4 when take() allows, counts itself in a
    # shared tally (under a lock, to check the counter against it), gives
    # them back. take() must never hand out more units than are free.
    size = 4
    c = _core.SemCount(size)
    tally_lock = threading.Lock()
    tally = [0, 0]  # units held now, most ever held
    errors = []
    barrier = threading.Barrier(N_THREADS)

    def worker(me):
        barrier.wait()
        for i in range(N_ITER):
            n = 1 + (i + me) % 3
            if not c.take(n):
                continue
            # Counted after take() and uncounted before give(): the tally can
            # only lag the units really held, so tally > size is a real bug.
            with tally_lock:
                tally[0] += n
                tally[1] = max(tally[1], tally[0])
                if tally[0] > size:
                    errors.append(f"{tally[0]} units held of {size}")
            with tally_lock:
                tally[0] -= n
            if c.give(n):
                errors.append("give() reported waiters that were never queued")

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(N_THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    assert c.snapshot() == (size, 0, 0), c.snapshot()
    try:
        c.give(1)
        raise AssertionError("over-release accepted")
    except ValueError:
        pass
    print(f"free-threaded SemCount stress: ok, {N_THREADS} threads x {N_ITER}; most units held at once {tally[1]}")


main()
semcount()
