"""Context: the contract, and the behaviours Go's context tests check."""

from __future__ import annotations

import threading
import time

import anyio
import pytest

from conftest import wait_until
from gocon import (
    Canceled,
    Chan,
    Context,
    DeadlineExceeded,
    background,
    cause,
    select,
    select_async,
    with_cancel,
    with_cancel_cause,
    with_deadline,
    with_timeout,
    with_value,
)
from gocon import _timers


def is_done(ctx: Context) -> bool:
    return ctx.done().closed


def test_background():
    bg = background()
    assert bg is background()
    assert bg.err() is None and bg.deadline() is None and bg.value("k") is None
    with pytest.raises(TimeoutError):
        bg.wait(timeout=0.01)
    assert not is_done(bg)
    assert "background" in repr(bg)


def test_with_cancel_closes_done_and_sets_err():
    ctx, cancel = with_cancel(background())
    assert ctx.err() is None and not is_done(ctx)
    cancel()
    assert is_done(ctx) and isinstance(ctx.err(), Canceled)
    ctx.wait(timeout=1)
    err = ctx.err()
    cancel()  # idempotent
    assert ctx.err() is err


def test_parent_cancels_every_descendant_synchronously():
    # Go's TestParentFinishesChild, through value contexts in between.
    root, cancel_root = with_cancel(background())
    mid = with_value(root, "k", 1)
    c1, _ = with_cancel(mid)
    c2, _ = with_timeout(c1, 3600)
    c3, _ = with_cancel(c2)
    sibling, cancel_sibling = with_cancel(root)
    cancel_root()
    for c in (root, c1, c2, c3, sibling):  # before cancel() returned
        assert is_done(c) and isinstance(c.err(), Canceled)
    assert _timers.pending() == 0  # c2's timer was released
    cancel_sibling()


def test_child_never_cancels_parent_and_is_unlinked():
    # Go's TestChildFinishesFirst and TestCancelRemoves.
    parent, cancel_parent = with_cancel(background())
    children = [with_cancel(parent) for _ in range(100)]
    assert len(parent._children) == 100
    for _, cancel in children:
        cancel()
    assert parent.err() is None and not is_done(parent)
    assert len(parent._children) == 0  # no leak of cancelled children
    t_ctx, t_cancel = with_timeout(parent, 3600)
    t_cancel()
    assert len(parent._children) == 0
    cancel_parent()


def test_child_of_a_cancelled_parent_is_born_cancelled():
    parent, cancel = with_cancel_cause(background())
    cancel(ValueError("why"))
    child, cancel_child = with_cancel(parent)
    assert isinstance(child.err(), Canceled) and is_done(child)
    assert isinstance(cause(child), ValueError)
    d, _ = with_timeout(parent, 10)
    assert is_done(d) and _timers.pending() == 0
    cancel_child()


def test_deadline_and_timeout():
    ctx, cancel = with_timeout(background(), 0.05)
    dl = ctx.deadline()
    assert dl is not None and abs(dl - (time.monotonic() + 0.05)) < 0.05
    ctx.wait(timeout=5)
    err = ctx.err()
    assert isinstance(err, DeadlineExceeded) and isinstance(err, TimeoutError)
    assert cause(ctx) is err
    cancel()  # after expiry: no effect
    assert ctx.err() is err


def test_deadline_in_the_past_is_already_exceeded():
    ctx, cancel = with_deadline(background(), time.monotonic() - 1)
    assert isinstance(ctx.err(), DeadlineExceeded)
    cancel()


def test_child_deadline_never_later_than_parent():
    parent, cp = with_timeout(background(), 100)
    child, cc = with_timeout(parent, 1000)
    assert child.deadline() == parent.deadline()
    sooner, cs = with_timeout(parent, 1)
    assert sooner.deadline() < parent.deadline()
    for c in (cs, cc, cp):
        c()


def test_cancel_before_deadline_releases_the_timer():
    ctx, cancel = with_timeout(background(), 3600)
    assert _timers.pending() == 1
    cancel()
    assert isinstance(ctx.err(), Canceled)
    assert _timers.pending() == 0


def test_many_timeouts_share_one_timer_thread():
    pairs = [with_timeout(background(), 3600 + i) for i in range(1000)]
    names = [t.name for t in threading.enumerate() if t.name == "gocon-timers"]
    assert len(names) == 1
    for _, cancel in pairs:
        cancel()
    wait_until(lambda: not any(t.name == "gocon-timers" for t in threading.enumerate()))


def test_cause():
    ctx, cancel = with_cancel_cause(background())
    assert cause(ctx) is None
    boom = RuntimeError("boom")
    cancel(boom)
    assert cause(ctx) is boom and isinstance(ctx.err(), Canceled)
    child = with_value(ctx, "a", 1)
    assert cause(child) is boom
    plain, c2 = with_cancel_cause(background())
    c2()
    assert cause(plain) is plain.err()
    with pytest.raises(TypeError, match="cause"):
        with_cancel_cause(background())[1]("not an exception")


def test_values():
    a = with_value(background(), "a", 1)
    b = with_value(a, "b", 2)
    c, cancel = with_cancel(b)
    d = with_value(c, "a", 3)  # shadows
    assert (d.value("a"), d.value("b"), d.value("zzz")) == (3, 2, None)
    assert (c.value("a"), b.value("a")) == (1, 1)
    with pytest.raises(TypeError, match="hashable"):
        with_value(background(), [], 1)
    cancel()


def test_context_manager_form_cancels_on_exit():
    with with_timeout(background(), 2) as ctx:
        assert ctx.err() is None
    assert isinstance(ctx.err(), Canceled)
    with with_cancel(background()) as ctx2:
        pass
    assert is_done(ctx2)
    ctx3, cancel3 = with_cancel(background())  # still unpacks as a pair
    cancel3()


def test_concurrent_cancels_of_a_tree():
    root, cancel_root = with_cancel(background())
    nodes = [root]
    cancels = [cancel_root]
    for i in range(300):
        c, cancel = with_cancel(nodes[i // 3])
        nodes.append(c)
        cancels.append(cancel)
    barrier = threading.Barrier(8)

    def hammer(k):
        barrier.wait()
        for cancel in cancels[k::8]:
            cancel()

    ts = [threading.Thread(target=hammer, args=(k,)) for k in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert all(is_done(n) and isinstance(n.err(), Canceled) for n in nodes)


def test_done_channel_as_a_select_case_and_ctx_on_operations():
    ctx, cancel = with_cancel(background())
    jobs = Chan()
    threading.Timer(0.02, cancel).start()
    i, v = select(jobs.recv, ctx.done().recv)
    assert (i, v) == (1, None)
    with pytest.raises(Canceled):
        jobs.recv(ctx=ctx)
    with pytest.raises(Canceled):
        jobs.send(1, ctx=ctx)
    assert jobs.statistics().senders_waiting == 0 and jobs.statistics().receivers_waiting == 0


def test_ctx_deadline_on_a_blocking_recv():
    ctx, cancel = with_timeout(background(), 0.02)
    with pytest.raises(DeadlineExceeded):
        Chan().recv(ctx=ctx)
    cancel()


def test_wait_with_another_ctx():
    a, cancel_a = with_cancel(background())
    b, cancel_b = with_cancel(background())
    cancel_b()
    with pytest.raises(Canceled):
        a.wait(ctx=b)
    cancel_a()


@pytest.mark.anyio
async def test_async_wait_and_ctx_ends_an_async_operation_promptly():
    ctx, cancel = with_cancel(background())
    ch = Chan()
    t0 = time.monotonic()
    threading.Timer(0.02, cancel).start()
    with pytest.raises(Canceled):
        await ch.recv_async(ctx=ctx)
    assert time.monotonic() - t0 < 2
    await ctx.wait_async()
    i, _ = await select_async(ch.recv, ctx.done().recv)
    assert i == 1
    d, cd = with_timeout(background(), 0.01)
    with pytest.raises(DeadlineExceeded):
        await ch.send_async(1, ctx=d)
    cd()
    with pytest.raises(TimeoutError):
        await background().wait_async(timeout=0.01)
    assert ch.statistics().receivers_waiting == 0 and ch.statistics().senders_waiting == 0


@pytest.mark.anyio
async def test_cancel_from_another_task():
    ctx, cancel = with_cancel(background())
    async with anyio.create_task_group() as tg:
        tg.start_soon(ctx.wait_async)
        while ctx.done().statistics().receivers_waiting == 0:  # the task is parked
            await anyio.sleep(0)
        cancel()
    assert is_done(ctx)


@pytest.mark.parametrize(
    ("fn", "args", "exc"),
    [
        (with_cancel, (None,), TypeError),
        (with_cancel, ("ctx",), TypeError),
        (with_timeout, (background(), "1"), TypeError),
        (with_timeout, (background(), float("nan")), ValueError),
        (with_deadline, (background(), None), TypeError),
        (with_value, (object(), "k", 1), TypeError),
    ],
)
def test_bad_arguments(fn, args, exc):
    with pytest.raises(exc):
        fn(*args)


def test_done_channel_is_receive_only():
    ctx, cancel = with_cancel(background())
    with pytest.raises(TypeError, match="receive-only"):
        ctx.done().send(None)
    with pytest.raises(TypeError, match="cancelling the context"):
        ctx.done().close()
    with pytest.raises(TypeError):
        background().done().close()
    cancel()
    assert ctx.done().recv_ok() == (None, False)
