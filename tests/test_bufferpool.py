"""BufferPool: the contract, misuse safety, size classes, threads, memory."""

from __future__ import annotations

import gc
import os
import random
import socket
import struct
import threading

import pytest

from gocon import Buffer, BufferPool


def fill(buf, tag: int) -> None:
    """Write a recognisable pattern: `tag` repeated over the whole buffer."""
    m = memoryview(buf)
    pat = struct.pack("<Q", tag)
    n = len(m)
    m[: n - n % 8] = pat * (n // 8)
    m[n - n % 8 :] = pat[: n % 8]
    m.release()


def intact(buf, tag: int) -> bool:
    pat = struct.pack("<Q", tag)
    data = bytes(buf)
    n = len(data)
    return data == (pat * (n // 8 + 1))[:n]


def test_get_returns_writable_buffer_of_exactly_n_bytes(no_gc):
    bp = BufferPool()
    b = bp.get(1000)
    assert isinstance(b, Buffer)
    assert len(b) == 1000
    assert b.capacity == bp.class_for(1000) == 1024
    with memoryview(b) as m:
        assert not m.readonly and m.nbytes == 1000 and m.format == "B"
        m[:3] = b"abc"
    assert bytes(b)[:3] == b"abc"
    assert b.pool is bp and not b.returned
    bp.put(b)
    assert b.returned


def test_reuse_and_counters(no_gc):
    bp = BufferPool()
    b = bp.get(4096)
    bp.put(b)
    b2 = bp.get(4000)  # same class (4096)
    s = bp.stats()
    assert (s["hits"], s["misses"], s["puts"], s["outstanding"]) == (1, 1, 1, 1)
    assert s["classes"][4096]["hits"] == 1
    bp.put(b2)
    assert bp.stats()["outstanding"] == 0
    assert bp.stats()["idle_bytes"] == 4096


def test_size_classes_waste_at_most_20_percent():
    bp = BufferPool(512, 4 << 20)
    sizes = bp.class_sizes
    assert sizes[0] == 512 and sizes[-1] == 4 << 20
    assert list(sizes) == sorted(set(sizes))
    rng = random.Random(1)
    for n in [513, 4096 + 16, 4097, 65536 + 64, 1 << 20, 3 << 20] + [rng.randrange(513, 4 << 20) for _ in range(2000)]:
        c = bp.class_for(n)
        assert c >= n
        assert c <= n * 1.25 + 1, (n, c)
    assert bp.class_for(100) == 512
    assert bp.class_for((4 << 20) + 1) is None


def test_min_size_rounds_up_to_a_power_of_two():
    bp = BufferPool(300, 10_000)
    assert bp.min_size == 512
    assert bp.class_sizes[0] == 512


def test_oversize_is_unpooled_and_never_enlarges_a_class(no_gc):
    bp = BufferPool(512, 64 * 1024)
    big = bp.get(1 << 20)
    assert len(big) == big.capacity == 1 << 20
    with memoryview(big) as m:
        m[-1] = 7
    bp.put(big)
    s = bp.stats()
    assert s["oversize"]["misses"] == 1 and s["oversize"]["puts"] == 1
    assert s["size"] == 0 and s["idle_bytes"] == 0  # nothing retained
    assert max(bp.class_sizes) == 64 * 1024


def test_per_class_retention_cap(no_gc):
    bp = BufferPool(512, 1 << 20, max_retained=16 * 1024)
    bufs = [bp.get(4096) for _ in range(10)]
    for b in bufs:
        bp.put(b)
    c = bp.stats()["classes"][4096]
    assert c["size"] == 4 and c["dropped"] == 6
    big = [bp.get(1 << 20) for _ in range(3)]
    for b in big:
        bp.put(b)
    assert bp.stats()["classes"][1 << 20]["size"] == 1  # a non-zero cap keeps one block
    bp.check()


def test_trim_frees_idle_blocks(no_gc):
    bp = BufferPool()
    keep = bp.get(100)
    for b in [bp.get(64 * 1024) for _ in range(4)]:
        bp.put(b)
    assert bp.trim() == 4 * 64 * 1024
    s = bp.stats()
    assert s["size"] == 0 and s["outstanding"] == 1
    with memoryview(keep) as m:  # a buffer in use is untouched
        m[0] = 1
    bp.put(keep)


def test_victim_flips_drain_an_idle_pool():
    bp = BufferPool()
    bp.put(bp.get(4096))
    gc.collect()
    s = bp.stats()
    assert (s["size"], s["victim_size"]) == (1, 1)
    b = bp.get(4096)
    assert bp.stats()["victim_hits"] == 1
    bp.put(b)
    gc.collect()
    gc.collect()
    assert bp.stats()["size"] == 0


def test_zero_true_clears_on_put_and_fresh_blocks_are_zero(no_gc):
    bp = BufferPool(zero=True)
    b = bp.get(4096)
    assert bytes(b) == bytes(4096)
    fill(b, 0xDEADBEEF)
    bp.put(b)
    b = bp.get(4096)
    assert bp.stats()["hits"] == 1
    assert bytes(b) == bytes(4096)
    bp.put(b)
    assert bp.zero


def test_zero_false_reuses_memory_as_documented(no_gc):
    # The data-leak risk the docs warn about: a reused block keeps old bytes.
    bp = BufferPool()
    b = bp.get(64)
    fill(b, 0x1234)
    bp.put(b)
    b = bp.get(64)
    assert intact(b, 0x1234)
    bp.put(b)


# ---- misuse -------------------------------------------------------------


def test_put_twice_raises_and_corrupts_nothing(no_gc):
    bp = BufferPool()
    b = bp.get(100)
    bp.put(b)
    with pytest.raises(ValueError, match="already returned"):
        bp.put(b)
    s = bp.stats()
    assert s["puts"] == 1 and s["size"] == 1 and s["outstanding"] == 0
    bp.check()


def test_put_of_foreign_buffers(no_gc):
    bp, other = BufferPool(), BufferPool()
    b = other.get(10)
    with pytest.raises(ValueError, match="another BufferPool"):
        bp.put(b)
    with pytest.raises(ValueError, match="not issued"):
        bp.put(bytearray(10))
    with pytest.raises(ValueError, match="not issued"):
        bp.put(memoryview(bytearray(10)))
    with pytest.raises(TypeError, match="expects a Buffer"):
        bp.put(10)
    with pytest.raises(TypeError):
        bp.put(None)
    other.put(b)  # still fine with its own pool
    assert bp.stats()["puts"] == 0


def test_put_while_a_view_is_alive_raises_buffer_error(no_gc):
    bp = BufferPool()
    b = bp.get(100)
    m = memoryview(b)
    sl = m[10:20]
    m.release()
    with pytest.raises(BufferError, match="still alive"):
        bp.put(sl.obj)  # the slice keeps an export
    assert not b.returned and len(b) == 100  # still the caller's
    sl[0] = 1
    sl.release()
    bp.put(b)
    assert b.returned


def test_stale_reference_cannot_touch_a_reissued_block(no_gc):
    bp = BufferPool()
    old = bp.get(256)
    bp.put(old)
    new = bp.get(256)  # same block, new owner
    assert bp.stats()["hits"] == 1
    fill(new, 99)
    with pytest.raises(ValueError, match="returned"):
        memoryview(old)
    with pytest.raises(ValueError, match="returned"):
        len(old)
    with pytest.raises(ValueError, match="returned"):
        bytes(old)
    a, b = socket.socketpair()
    with a, b:
        a.sendall(b"x" * 256)
        with pytest.raises((ValueError, TypeError)):  # socket rewraps the error
            b.recv_into(old)
    assert intact(new, 99)
    assert "returned" in repr(old)
    bp.put(new)


def test_abandoned_buffer_is_freed_and_counted(no_gc):
    bp = BufferPool()
    b = bp.get(100)
    del b
    s = bp.stats()
    assert s["abandoned"] == 1 and s["outstanding"] == 0 and s["size"] == 0


@pytest.mark.parametrize(
    ("args", "kwargs", "exc"),
    [
        ((-1,), {}, ValueError),
        ((0,), {}, ValueError),
        ((1024, 512), {}, ValueError),
        (("512",), {}, TypeError),
        ((512, 1.5), {}, TypeError),
        ((512, 2**41), {}, ValueError),
        ((), {"max_retained": -1}, ValueError),
        ((), {"max_retained": "x"}, TypeError),
    ],
)
def test_bad_constructor_arguments(args, kwargs, exc):
    with pytest.raises(exc):
        BufferPool(*args, **kwargs)


@pytest.mark.parametrize(
    ("n", "exc"),
    [(-1, ValueError), (1.0, TypeError), ("10", TypeError), (None, TypeError), (2**70, ValueError), (2**62, (ValueError, MemoryError))],
)
def test_bad_get_arguments(n, exc):
    bp = BufferPool()
    with pytest.raises(exc):
        bp.get(n)
    s = bp.stats()
    assert s["outstanding"] == 0


def test_get_zero_and_index_types(no_gc):
    class Index:
        def __index__(self):
            return 10

    bp = BufferPool()
    b = bp.get(0)
    assert len(b) == 0 and b.capacity == 512
    bp.put(b)
    b = bp.get(Index())
    assert len(b) == 10
    bp.put(b)


def test_borrow_returns_the_buffer(no_gc):
    bp = BufferPool()
    with bp.borrow(2048) as b:
        with memoryview(b) as m:
            m[0] = 1
    assert b.returned
    assert bp.stats()["outstanding"] == 0


# ---- I/O ------------------------------------------------------------------


def test_socket_recv_into_a_pooled_buffer(no_gc):
    bp = BufferPool()
    a, b = socket.socketpair()
    with a, b:
        payload = os.urandom(3000)
        a.sendall(payload)
        buf = bp.get(4096)
        got = 0
        with memoryview(buf) as m:
            while got < len(payload):
                got += b.recv_into(m[got:])
            assert bytes(m[:got]) == payload
        bp.put(buf)


def test_asyncio_buffered_protocol_get_buffer(no_gc):
    import asyncio

    bp = BufferPool()
    payload = os.urandom(200_000)

    class Sink(asyncio.BufferedProtocol):
        def __init__(self, done):
            self.done, self.data, self.buf = done, bytearray(), None

        def get_buffer(self, sizehint):
            self.buf = bp.get(65536)
            return self.buf

        def buffer_updated(self, nbytes):
            with memoryview(self.buf) as m:
                self.data += m[:nbytes]
            bp.put(self.buf)
            self.buf = None

        def eof_received(self):
            self.done.set_result(bytes(self.data))

    async def main():
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        server = await loop.create_server(lambda: Sink(done), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        _, w = await asyncio.open_connection("127.0.0.1", port)
        w.write(payload)
        await w.drain()
        w.write_eof()
        data = await asyncio.wait_for(done, 10)
        w.close()
        server.close()
        await server.wait_closed()
        return data

    assert asyncio.run(main()) == payload
    s = bp.stats()
    assert s["outstanding"] == 0 and s["hits"] > 0


# ---- threads and memory ------------------------------------------------------


def test_threads_with_canaries_no_loss_no_duplicates_no_corruption():
    """8 threads x 100k get/put, each buffer stamped and checked while held."""
    bp = BufferPool(64, 1 << 16)
    errors = []
    n_threads, n_iter = 8, 100_000
    sizes = [64, 100, 700, 4096, 5000]
    barrier = threading.Barrier(n_threads)

    def worker(me):
        rng = random.Random(me)
        get, put = bp.get, bp.put
        barrier.wait()
        for i in range(n_iter):
            tag = (me << 32) | i
            n = sizes[rng.randrange(5)]
            b = get(n)
            with memoryview(b) as m:
                m[:8] = tag.to_bytes(8, "little")
                m[-8:] = tag.to_bytes(8, "little")
                if i % 16 == 0:
                    b2 = get(n)  # hold two now and then: must be distinct memory
                    with memoryview(b2) as m2:
                        m2[:8] = bytes(8)
                        m2[-8:] = bytes(8)
                    put(b2)
                if m[:8] != tag.to_bytes(8, "little") or m[-8:] != tag.to_bytes(8, "little"):
                    errors.append(f"buffer of thread {me} overwritten at {i}")
                    return
            put(b)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    s = bp.stats()
    assert s["outstanding"] == 0 and s["abandoned"] == 0
    assert s["puts"] == n_threads * (n_iter + n_iter // 16)
    assert s["hits"] + s["victim_hits"] + s["misses"] == s["puts"]
    bp.check()


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc")
def test_memory_flat_over_a_million_ops(no_gc):
    import tracemalloc

    bp = BufferPool()
    get, put = bp.get, bp.put
    for n in (100, 4096, 65536):
        put(get(n))
    rss0 = _rss_bytes()
    tracemalloc.start()
    try:
        snap = tracemalloc.take_snapshot()
        for i in range(1_000_000):
            put(get((i & 3) * 1000 + 100))
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    growth = sum(d.size_diff for d in after.compare_to(snap, "filename"))
    assert growth < 64 * 1024, growth
    if "asan" not in os.environ.get("LD_PRELOAD", ""):  # ASan's quarantine holds freed memory
        assert _rss_bytes() - rss0 < 8 << 20
    s = bp.stats()
    assert s["outstanding"] == 0 and s["size"] <= 8
