"""select: wait on several channel operations, complete exactly one.

    i, value = select(jobs.recv, (results.send, r), ctx.done().recv, default)

A case is ``ch.recv``, ``ch.recv_ok``, ``(ch.send, value)`` or the marker
:data:`default`. ``select`` returns ``(index, value)``: the index of the case
that fired in the argument list (``-1`` for ``default``, wherever it stands),
and the value received (``None`` for a send; ``(v, ok)`` for ``recv_ok``). A
``ch.recv`` case on a closed, drained channel fires with ``None``, so
``ctx.done().recv`` works as a case. A send case on a closed channel raises
``gocon.Closed``.

When several cases are ready, one is chosen uniformly at random (as in Go),
so no case can starve another. Without ``default``, ``select`` blocks until a
case is ready; ``timeout=`` raises ``TimeoutError`` and ``ctx=`` raises
``ctx.err()``; then no case happened. ``select_async`` is the async twin;
cancelling it is atomic in the same way: either exactly one case completed
(and its result is returned) or none did.

Two passes, as in Go's selectgo: first each case is tried on its own, in a
random order (cheap when something is ready); if none is ready and there is
no ``default``, every channel involved is locked together (in one global
order) to check again and queue one shared waiter on all of them. The first
counterpart to claim that waiter wins; the other queue entries are then
withdrawn in O(1) each.
"""

from __future__ import annotations

import random
from types import MethodType
from typing import TYPE_CHECKING, Any, Final

from .chan import BLOCKED, RECV, RECV_OK, SEND, TOOK, Chan, _result, block, block_async, check_timeout

if TYPE_CHECKING:
    from .context import Context

__all__ = ["default", "select", "select_async"]


class _Default:
    __slots__ = ()

    def __repr__(self) -> str:
        return "gocon.default"


#: The ``default`` case of a select: fires (index -1) when no other case is ready.
default: Final = _Default()

# Which bound methods make which case (the async twins are accepted too).
_RECV_KINDS = {Chan.recv: RECV, Chan.recv_async: RECV, Chan.recv_ok: RECV_OK, Chan.recv_ok_async: RECV_OK}
_SEND_FUNCS = (Chan.send, Chan.send_async)


def _bad(i: int, case: object) -> TypeError:
    return TypeError(
        f"select case {i} must be ch.recv, ch.recv_ok, (ch.send, value) or gocon.default, not {case!r}"
    )


def _parse(cases: tuple[Any, ...]) -> tuple[list[tuple[Chan[Any], int, Any]], int]:
    """Cases as (channel, kind, value), and the position of ``default`` (-1: none)."""
    parsed: list[tuple[Chan[Any], int, Any]] = []
    default_at = -1
    i = -1
    for case in cases:
        i += 1
        if type(case) is MethodType:
            kind = _RECV_KINDS.get(case.__func__)
            ch = case.__self__
            if kind is None or not isinstance(ch, Chan):
                raise _bad(i, case)
            parsed.append((ch, kind, None))
        elif type(case) is tuple and len(case) == 2:
            m = case[0]
            if type(m) is not MethodType or m.__func__ not in _SEND_FUNCS or not isinstance(m.__self__, Chan):
                raise _bad(i, case)
            parsed.append((m.__self__, SEND, case[1]))
        elif case is default:
            if default_at >= 0:
                raise TypeError("select has more than one default case")
            default_at = i
        else:
            raise _bad(i, case)
    return parsed, default_at


def _value(kind: int, value: Any, ok: bool) -> Any:
    if kind == RECV_OK:
        return (value, ok)
    return value if kind == RECV else None


def _poll(parsed: list[tuple[Chan[Any], int, Any]]) -> tuple[int, Any] | None:
    """First pass: try each case alone, in random order, without blocking."""
    n = len(parsed)
    if n == 2:
        order: Any = (0, 1) if random.random() < 0.5 else (1, 0)
    elif n == 1:
        order = (0,)
    else:
        order = random.sample(range(n), n)
    for i in order:
        ch, kind, value = parsed[i]
        lock = ch._lock
        if kind == SEND:
            lock.acquire()
            try:
                r = ch._offer(value)
            finally:
                lock.release()
            if r is not False:
                if r is not True:
                    r.wake()  # type: ignore[union-attr]
                return i, None
        else:
            lock.acquire()
            try:
                if ch._buf and not ch._sendq:  # fast path, as in Chan.recv
                    got = ch._buf.popleft()
                    return i, ((got, True) if kind == RECV_OK else got)
                state, got, w = ch._take()
            finally:
                lock.release()
            if w is not None:
                w.wake()
            if state != BLOCKED:
                return i, _value(kind, got, state == TOOK)
    return None


def _select_now(cases: tuple[Any, ...], timeout: float | None, ctx: Context | None) -> Any:
    """The part of select that never blocks: parse, poll, default. Returns the
    result, or the parsed cases when the caller must block."""
    if timeout is not None:
        check_timeout(timeout)
    parsed, default_at = _parse(cases)
    hit = _poll(parsed)
    if hit is not None:
        i = hit[0]
        return (i + 1 if 0 <= default_at <= i else i), hit[1]
    if default_at >= 0:
        return -1, None
    if not parsed and timeout is None and ctx is None:
        raise ValueError("select() with no cases, no default, no timeout and no ctx would block forever")
    return parsed


def select(*cases: Any, timeout: float | None = None, ctx: Context | None = None) -> tuple[int, Any]:
    """Complete exactly one of ``cases`` (see the module docstring); block if
    none is ready and there is no ``default``."""
    parsed = _select_now(cases, timeout, ctx)
    if type(parsed) is tuple:
        return parsed
    i, value, ok = _result(block(parsed, timeout, ctx, "select()"), ctx)
    return i, _value(parsed[i][1], value, ok)


async def select_async(*cases: Any, timeout: float | None = None, ctx: Context | None = None) -> tuple[int, Any]:
    """Async twin of ``select``, for asyncio and trio tasks."""
    parsed = _select_now(cases, timeout, ctx)
    if type(parsed) is tuple:
        return parsed  # type: ignore[no-any-return]
    i, value, ok = _result(await block_async(parsed, timeout, ctx), ctx)
    return i, _value(parsed[i][1], value, ok)
