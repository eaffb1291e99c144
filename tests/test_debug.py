"""gocon.debug and the pytest leak plugin."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

import gocon.debug as debug
from conftest import wait_until
from gocon import BufferPool, Chan, WaitGroup


@pytest.fixture
def recording():
    debug.enable(stacks=True)
    debug.reset_profile()
    yield
    debug.disable()
    debug.reset_profile()


def test_a_deadlocked_thread_and_task_both_show_in_the_dump(recording):
    # Each side sends on a rendezvous channel the other never reads: deadlock.
    to_task, to_thread = Chan(), Chan()
    t = threading.Thread(target=lambda: to_task.send("x", timeout=10), name="stuck-worker")
    t.start()

    async def stuck():
        await to_thread.send_async("y", timeout=10)

    loop_thread = threading.Thread(target=lambda: asyncio.run(stuck()), name="loop-thread")
    loop_thread.start()
    wait_until(lambda: len(debug.blocked()) == 2)
    text = debug.dump(file=_Sink())
    assert "thread 'stuck-worker' [send" in text
    assert "asyncio task" in text and "[send" in text
    assert "test_debug.py" in text  # the stacks point at the blocked lines
    ops = debug.blocked()
    assert {o["op"] for o in ops} == {"send"}
    assert all(o["since"] >= 0 and o["stack"] for o in ops)
    assert to_task.recv() == "x" and to_thread.recv() == "y"  # break the deadlock
    t.join()
    loop_thread.join()
    assert debug.blocked() == []


def test_disabled_records_nothing():
    ch = Chan()
    t = threading.Thread(target=lambda: ch.recv_ok(timeout=5))
    t.start()
    wait_until(lambda: ch.statistics().receivers_waiting == 1)
    assert debug.blocked() == []
    ch.close()
    t.join()


def test_wait_ops_name_their_primitive(recording):
    wg = WaitGroup()
    wg.add(1)
    t = threading.Thread(target=wg.wait, name="wg-waiter")
    t.start()
    wait_until(lambda: len(debug.blocked()) == 1)
    (op,) = debug.blocked()
    assert op["op"] == "wait" and "WaitGroup" in op["primitive"] and "wg-waiter" in op["waiter"]
    wg.done()
    t.join()


def test_block_profile_adds_up_to_measured_blocked_time(recording):
    ch = Chan()
    measured = []

    def receiver():
        for _ in range(3):
            t0 = time.monotonic()
            ch.recv()
            measured.append(time.monotonic() - t0)

    t = threading.Thread(target=receiver)
    t.start()
    for _ in range(3):
        wait_until(lambda: ch.statistics().receivers_waiting == 1)
        time.sleep(0.05)  # the blocked time we measure: not synchronisation
        ch.send(1)
    t.join()
    prof = debug.block_profile()
    total = sum(secs for secs, _ in prof.values())
    count = sum(n for _, n in prof.values())
    assert count == 3
    assert abs(total - sum(measured)) < 0.02 + 0.1 * sum(measured)
    report = debug.block_profile_report()
    assert "Chan at" in report and "test_debug.py" in report


def test_outstanding_buffers_by_call_site(recording):
    bp = BufferPool()
    kept = [bp.get(100) for _ in range(3)]
    sites = debug.outstanding_buffers()
    assert sum(sites.values()) == 3 and all("test_debug.py" in s for s in sites)
    for b in kept:
        bp.put(b)
    assert debug.outstanding_buffers() == {}


LEAKY = '''
import threading
import pytest
from gocon import BufferPool, Chan, ErrGroup

def _wait_quietly(ch):
    try:
        ch.recv_ok(timeout=2)
    except TimeoutError:
        pass

def test_leaves_a_blocked_waiter():
    ch = Chan()
    threading.Thread(target=_wait_quietly, args=(ch,), daemon=True).start()

def test_never_waits_for_its_group():
    g = ErrGroup()
    g.go(lambda: None)

POOL = BufferPool()

def test_forgets_a_buffer():
    test_forgets_a_buffer.kept = POOL.get(64)

@pytest.mark.gocon_leaks
def test_clean_marked():
    ch = Chan(1)
    ch.send(1)
    assert ch.recv() == 1

def test_clean():
    g = ErrGroup()
    g.go(lambda: None)
    g.wait()
'''


def test_pytest_plugin_fails_leaky_tests(pytester):
    pytester.makepyfile(LEAKY)
    result = pytester.runpytest("--gocon-leaks", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=3)
    out = result.stdout.str()
    assert "operation(s) still blocked" in out and "[recv" in out  # the dump is in the message
    assert "never waited for" in out
    assert "buffer(s) taken and not returned" in out
    wait_until(lambda: not [t for t in threading.enumerate() if t.daemon and t.name.startswith("Thread")])


def test_pytest_plugin_is_off_unless_asked(pytester):
    pytester.makepyfile(LEAKY)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=5)
    wait_until(lambda: not [t for t in threading.enumerate() if t.daemon and t.name.startswith("Thread")])


class _Sink:
    def write(self, s):
        return len(s)

