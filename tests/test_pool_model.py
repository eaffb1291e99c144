"""Hypothesis-driven sequences of operations checked against simple models."""

from __future__ import annotations

import gc

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from gocon import BufferPool, Pool


class Item:
    __slots__ = ("n",)

    def __init__(self, n: int) -> None:
        self.n = n


class PoolMachine(RuleBasedStateMachine):
    """Model: the idle objects of each generation, as sets of identities."""

    def __init__(self) -> None:
        super().__init__()
        self.counter = 0
        self.pool = Pool(self.new)
        self.live: set[int] = set()
        self.victim: set[int] = set()
        self.held: dict[int, Item] = {}
        self.hits = self.misses = self.victim_hits = self.dropped = self.puts = 0

    def new(self) -> Item:
        self.counter += 1
        return Item(self.counter)

    @rule()
    def get(self) -> None:
        o = self.pool.get()
        k = id(o)
        assert k not in self.held, "handed out an object that is still held"
        if self.live:
            assert k in self.live, "live objects must be served before victims"
            self.live.remove(k)
            self.hits += 1
        elif self.victim:
            assert k in self.victim
            self.victim.remove(k)
            self.victim_hits += 1
        else:
            assert o.n == self.counter  # freshly made
            self.misses += 1
        self.held[k] = o

    @precondition(lambda self: self.held)
    @rule(data=st.data())
    def put(self, data: st.DataObject) -> None:
        k = data.draw(st.sampled_from(sorted(self.held)))
        self.pool.put(self.held.pop(k))
        self.live.add(k)
        self.puts += 1

    @rule()
    def flip(self) -> None:
        self.pool.flip()
        self.dropped += len(self.victim)
        self.victim, self.live = self.live, set()

    @rule()
    def clear(self) -> None:
        self.pool.clear()
        self.dropped += len(self.live) + len(self.victim)
        self.live, self.victim = set(), set()

    @invariant()
    def stats_match(self) -> None:
        s = self.pool.stats()
        assert s["size"] == len(self.live) + len(self.victim)
        assert s["victim_size"] == len(self.victim)
        assert (s["hits"], s["misses"], s["victim_hits"], s["puts"], s["dropped"]) == (
            self.hits,
            self.misses,
            self.victim_hits,
            self.puts,
            self.dropped,
        )


class BufferPoolMachine(RuleBasedStateMachine):
    """Model: idle blocks per class and generation, and what each held buffer
    contains; misuse steps must raise and change nothing."""

    SIZES = st.sampled_from([0, 1, 64, 100, 129, 500, 1000, 3000, 5000, 9000])

    def __init__(self) -> None:
        super().__init__()
        self.pool = BufferPool(64, 4096, max_retained=8192)
        self.live: dict[int, int] = {}
        self.victim: dict[int, int] = {}
        self.held: list[tuple[object, int]] = []
        self.returned: list[object] = []
        self.tag = 0
        self.counts = dict(hits=0, misses=0, victim_hits=0, dropped=0, puts=0)

    def cap(self, cls: int) -> int:
        return max(1, 8192 // cls)

    @rule(n=SIZES)
    def get(self, n: int) -> None:
        b = self.pool.get(n)
        assert len(b) == n
        cls = self.pool.class_for(n)
        if cls is None:
            self.counts["misses"] += 1
        elif self.live.get(cls):
            self.live[cls] -= 1
            self.counts["hits"] += 1
        elif self.victim.get(cls):
            self.victim[cls] -= 1
            self.counts["victim_hits"] += 1
        else:
            self.counts["misses"] += 1
        self.tag += 1
        with memoryview(b) as m:
            m[:] = bytes([self.tag % 251]) * n
        self.held.append((b, self.tag))

    @precondition(lambda self: self.held)
    @rule(data=st.data())
    def put(self, data: st.DataObject) -> None:
        i = data.draw(st.integers(0, len(self.held) - 1))
        b, tag = self.held.pop(i)
        assert bytes(b) == bytes([tag % 251]) * len(b), "held buffer was overwritten"
        cls = self.pool.class_for(len(b))
        self.pool.put(b)
        self.counts["puts"] += 1
        if cls is not None:
            if self.live.get(cls, 0) + self.victim.get(cls, 0) < self.cap(cls):
                self.live[cls] = self.live.get(cls, 0) + 1
            else:
                self.counts["dropped"] += 1
        self.returned.append(b)

    @precondition(lambda self: self.returned)
    @rule()
    def misuse_put_twice(self) -> None:
        with pytest.raises(ValueError):
            self.pool.put(self.returned[-1])
        with pytest.raises(ValueError):
            memoryview(self.returned[-1])

    @precondition(lambda self: self.held)
    @rule()
    def misuse_put_with_live_view(self) -> None:
        b, _ = self.held[-1]
        with memoryview(b) as m:
            with pytest.raises(BufferError):
                self.pool.put(b)
            assert m.nbytes == len(b)

    @rule()
    def flip(self) -> None:
        self.pool.flip()
        self.counts["dropped"] += sum(self.victim.values())
        self.victim, self.live = self.live, {}

    @rule()
    def trim(self) -> None:
        freed = self.pool.trim()
        assert freed == sum(c * k for c, k in self.live.items()) + sum(c * k for c, k in self.victim.items())
        self.counts["dropped"] += sum(self.live.values()) + sum(self.victim.values())
        self.live, self.victim = {}, {}

    @invariant()
    def consistent(self) -> None:
        self.pool.check()
        s = self.pool.stats()
        for k, v in self.counts.items():
            assert s[k] == v, (k, s[k], v)
        assert s["outstanding"] == len(self.held)
        assert s["size"] == sum(self.live.values()) + sum(self.victim.values())
        assert s["victim_size"] == sum(self.victim.values())

    def teardown(self) -> None:
        for b, _ in self.held:
            self.pool.put(b)


@pytest.fixture(autouse=True)
def _no_automatic_flips():
    # An automatic collection would flip the pools behind the models' backs.
    was = gc.isenabled()
    gc.disable()
    yield
    if was:
        gc.enable()


TestPoolModel = PoolMachine.TestCase
TestPoolModel.settings = settings(max_examples=150, stateful_step_count=60, deadline=None)
TestBufferPoolModel = BufferPoolMachine.TestCase
TestBufferPoolModel.settings = settings(max_examples=150, stateful_step_count=60, deadline=None)
