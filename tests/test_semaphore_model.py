"""Semaphore against a model: random sequences of try_acquire, acquire with a
zero timeout, bad releases and blocked thread waiters, checked step by step
(held units, queued waiters, FIFO order of grants)."""

from __future__ import annotations

import threading

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from conftest import wait_until
from gocon import Semaphore

SIZE = 5


class SemaphoreMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.sem = Semaphore(SIZE)
        self.held = 0  # units held by the test itself
        self.queue: list[int] = []  # units wanted by blocked threads, FIFO
        self.granted: list[int] = []  # (in the order the model grants them)
        self.order: list[int] = []  # ids of threads in the order they got units
        self.threads: list[threading.Thread] = []
        self.next_id = 0

    def _model_grant(self) -> None:
        # Serve the head while it fits; stop at the first that does not.
        while self.queue and self.held + sum(self.granted) + self.queue[0] <= SIZE:
            self.granted.append(self.queue.pop(0))

    @rule(n=st.integers(0, SIZE))
    def try_acquire(self, n: int) -> None:
        ok = self.sem.try_acquire(n)
        assert ok == (not self.queue and self.held + sum(self.granted) + n <= SIZE)
        if ok:
            self.held += n

    @rule(n=st.integers(1, SIZE))
    def acquire_or_time_out(self, n: int) -> None:
        fits = not self.queue and self.held + sum(self.granted) + n <= SIZE
        try:
            self.sem.acquire(n, timeout=0)
        except TimeoutError:
            assert not fits
        else:
            assert fits
            self.held += n

    @rule(n=st.integers(1, SIZE))
    def release(self, n: int) -> None:
        if n > self.held + sum(self.granted):  # more than anyone holds
            with pytest.raises(ValueError, match="are held"):
                self.sem.release(n)
            return
        if n > self.held:
            return  # (the units of the served threads stay theirs)
        self.sem.release(n)
        self.held -= n
        self._model_grant()

    @precondition(lambda self: len(self.queue) < 3)
    @rule(n=st.integers(1, SIZE))
    def blocked_waiter(self, n: int) -> None:
        if not self.queue and self.held + sum(self.granted) + n <= SIZE:
            return  # it would not block
        me = self.next_id
        self.next_id += 1
        before = self.sem.statistics().waiters

        def run() -> None:
            self.sem.acquire(n)
            self.order.append(me)

        t = threading.Thread(target=run, daemon=True)
        t.start()
        self.threads.append(t)
        self.queue.append(n)
        wait_until(lambda: self.sem.statistics().waiters == before + 1)

    @invariant()
    def matches_model(self) -> None:
        want_held = self.held + sum(self.granted)
        wait_until(lambda: len(self.order) == len(self.granted))
        s = self.sem.statistics()
        assert (s.held, s.waiters) == (want_held, len(self.queue))
        # FIFO: the threads served so far are exactly the earliest arrivals
        # (two served by one release may return in either order).
        assert sorted(self.order) == list(range(len(self.order)))

    def teardown(self) -> None:
        # Release everything, round by round, so every blocked thread finishes.
        while self.held or self.granted:
            self.sem.release(self.held + sum(self.granted))
            self.held, self.granted = 0, []
            self._model_grant()
            wait_until(lambda: len(self.order) == self.next_id - len(self.queue))
        for t in self.threads:
            t.join(5)
            assert not t.is_alive()
        assert self.sem.statistics() == (SIZE, 0, 0)


TestSemaphoreModel = SemaphoreMachine.TestCase
TestSemaphoreModel.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)
