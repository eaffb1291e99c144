"""Context: Go's ``context`` -- cancellation, deadlines and request values
that flow down a tree of calls, across threads and async tasks alike.

    ctx, cancel = with_timeout(background(), 2.0)
    try:
        item = jobs.recv(ctx=ctx)          # raises DeadlineExceeded after 2 s
    finally:
        cancel()                           # always release the context

    with with_cancel(parent) as ctx:       # cancels on exit
        ...

* ``ctx.done()`` is a ``gocon.Chan`` closed when the context ends, so it
  works as a ``select`` case from threads, asyncio and trio.
* ``ctx.err()`` is ``None`` while the context lives, then a ``Canceled``
  or a ``DeadlineExceeded`` (a ``TimeoutError``); ``cause(ctx)`` is the
  cause given to ``cancel(cause)`` or else ``ctx.err()``.
* Cancelling a context cancels all its descendants, synchronously, before
  ``cancel()`` returns; a child never cancels its parent. A cancelled child is
  unlinked from its parent at once, so short-lived children do not pile up.
* Deadlines share one timer thread (see ``gocon._timers``): creating a
  ``with_timeout`` context is a heap push, not a thread.

Lock order: a context's lock is never held while another context's lock is
taken or while a channel is closed; cancellation collects the children under
the lock and cancels them after releasing it.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any, Callable, Final, NamedTuple

from . import _timers
from .chan import Chan

__all__ = [
    "Canceled",
    "CancelFunc",
    "Context",
    "DeadlineExceeded",
    "background",
    "cause",
    "with_cancel",
    "with_cancel_cause",
    "with_deadline",
    "with_timeout",
    "with_value",
]


class Canceled(Exception):
    """The context was cancelled (Go's ``context.Canceled``)."""

    def __init__(self, msg: str = "context canceled") -> None:
        super().__init__(msg)


class DeadlineExceeded(TimeoutError):
    """The context's deadline passed (Go's ``context.DeadlineExceeded``)."""

    def __init__(self, msg: str = "context deadline exceeded") -> None:
        super().__init__(msg)


class _DoneChan(Chan[None]):
    """A done channel (of a Context, WaitGroup, Once): only its owner closes
    it, nobody sends. ``_owner`` names what a blocked wait is waiting for."""

    __slots__ = ("_owner",)

    def __init__(self, owner: Any = None) -> None:
        super().__init__()
        self._owner = owner

    def send(self, value: Any, *, timeout: float | None = None, ctx: Context | None = None) -> None:
        raise TypeError("a context's done channel is receive-only")

    async def send_async(self, value: Any, *, timeout: float | None = None, ctx: Context | None = None) -> None:
        raise TypeError("a context's done channel is receive-only")

    def close(self) -> None:
        raise TypeError("a context's done channel is closed by cancelling the context")

    def _end(self) -> None:
        Chan.close(self)


class Context:
    """A cancellation signal, an optional deadline and request-scoped values.

    Do not construct contexts directly: derive them from ``background``
    with the ``with_*`` functions.
    """

    __slots__ = ("_parent", "__weakref__")

    def __init__(self, parent: Context | None) -> None:
        self._parent = parent

    def done(self) -> Chan[None]:
        """A channel closed when this context ends (never, for ``background()``)."""
        assert self._parent is not None
        return self._parent.done()

    def err(self) -> BaseException | None:
        """``None`` while alive; then ``Canceled`` or ``DeadlineExceeded``."""
        assert self._parent is not None
        return self._parent.err()

    def deadline(self) -> float | None:
        """When the context will be cancelled (``time.monotonic()`` seconds), or None."""
        assert self._parent is not None
        return self._parent.deadline()

    def value(self, key: Any) -> Any:
        """The value bound to ``key`` by the nearest ``with_value``, or None."""
        assert self._parent is not None
        return self._parent.value(key)

    def wait(self, *, timeout: float | None = None, ctx: Context | None = None) -> None:
        """Block until this context is done (``TimeoutError`` after ``timeout``;
        ``ctx.err()`` if the other context ``ctx`` ends first)."""
        self.done().recv_ok(timeout=timeout, ctx=ctx)

    async def wait_async(self, *, timeout: float | None = None, ctx: Context | None = None) -> None:
        """Async twin of ``wait``."""
        await self.done().recv_ok_async(timeout=timeout, ctx=ctx)

    def _cancel_node(self) -> _CancelCtx | None:
        """The nearest cancellable context at or above this one."""
        node: Context | None = self
        while node is not None and not isinstance(node, _CancelCtx):
            node = node._parent
        return node

    def __repr__(self) -> str:
        return f"<gocon.Context {self._describe()}>"

    def _describe(self) -> str:
        return f"child of {self._parent._describe()}" if self._parent is not None else "background"


class _Background(Context):
    __slots__ = ("_never",)

    def __init__(self) -> None:
        super().__init__(None)
        self._never = _DoneChan(self)

    def done(self) -> Chan[None]:
        return self._never

    def err(self) -> BaseException | None:
        return None

    def deadline(self) -> float | None:
        return None

    def value(self, key: Any) -> Any:
        return None

    def _describe(self) -> str:
        return "background"


_BACKGROUND: Final = _Background()


def background() -> Context:
    """The root context: never cancelled, no deadline, no values."""
    return _BACKGROUND


class _CancelCtx(Context):
    __slots__ = ("_lock", "_done", "_err", "_cause", "_children", "_deadline", "_timer", "_kind")

    def __init__(self, parent: Context, deadline: float | None, kind: str) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._done = _DoneChan(self)
        self._err: BaseException | None = None
        self._cause: BaseException | None = None
        self._children: set[_CancelCtx] | None = set()
        self._deadline = deadline
        self._timer: _timers.Timer | None = None
        self._kind = kind

    def done(self) -> Chan[None]:
        return self._done

    def err(self) -> BaseException | None:
        return self._err

    def deadline(self) -> float | None:
        if self._deadline is not None:
            return self._deadline
        return super().deadline()

    def _cancel(self, err: BaseException, cause: BaseException | None, unlink: bool) -> None:
        with self._lock:
            if self._err is not None:
                return
            self._err = err
            self._cause = cause
            children, self._children = self._children, None
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
        self._done._end()
        for child in children or ():
            child._cancel(err, cause, unlink=False)
        if unlink:
            parent = self._parent._cancel_node() if self._parent is not None else None
            if parent is not None:
                parent._remove_child(self)

    def _add_child(self, child: _CancelCtx) -> None:
        with self._lock:
            if self._children is not None:
                self._children.add(child)
                return
            err, why = self._err, self._cause
        assert err is not None
        child._cancel(err, why, unlink=False)

    def _remove_child(self, child: _CancelCtx) -> None:
        with self._lock:
            if self._children is not None:
                self._children.discard(child)

    def _describe(self) -> str:
        state = "alive" if self._err is None else type(self._err).__name__
        extra = ""
        if self._deadline is not None:
            extra = f", deadline in {self._deadline - time.monotonic():.3f} s"
        return f"{self._kind} ({state}{extra})"


class _ValueCtx(Context):
    __slots__ = ("_key", "_value")

    def __init__(self, parent: Context, key: Any, value: Any) -> None:
        super().__init__(parent)
        self._key = key
        self._value = value

    def value(self, key: Any) -> Any:
        if key == self._key:
            return self._value
        return super().value(key)

    def _describe(self) -> str:
        return f"with_value({self._key!r}) of {self._parent._describe()}"  # type: ignore[union-attr]


CancelFunc = Callable[..., None]


class _Pair(NamedTuple):
    """``(ctx, cancel)``; also ``with ...() as ctx:``, which cancels on exit."""

    ctx: Context
    cancel: CancelFunc

    def __enter__(self) -> Context:
        return self.ctx

    def __exit__(self, *exc: object) -> None:
        self.cancel()


def _check_parent(parent: Any) -> Context:
    if not isinstance(parent, Context):
        raise TypeError(f"parent must be a gocon Context (e.g. background()), not {type(parent).__name__}")
    return parent


def _derive(parent: Context, deadline: float | None, kind: str) -> _CancelCtx:
    child = _CancelCtx(parent, deadline, kind)
    node = parent._cancel_node()
    if node is not None:
        node._add_child(child)  # cancels the child at once if the parent is done
    return child


def with_cancel(parent: Context) -> _Pair:
    """A child context and a ``cancel()`` that ends it (and its descendants).

    Always call ``cancel`` (or use ``with``): it unlinks the child from its parent.
    """
    child = _derive(_check_parent(parent), None, "with_cancel")

    def cancel() -> None:
        child._cancel(Canceled(), None, unlink=True)

    return _Pair(child, cancel)


def with_cancel_cause(parent: Context) -> _Pair:
    """Like ``with_cancel``, but ``cancel(cause=None)`` records why; read it
    back with ``cause``."""
    child = _derive(_check_parent(parent), None, "with_cancel_cause")

    def cancel(cause: BaseException | None = None) -> None:
        if cause is not None and not isinstance(cause, BaseException):
            raise TypeError(f"cause must be an exception or None, not {type(cause).__name__}")
        child._cancel(Canceled(), cause, unlink=True)

    return _Pair(child, cancel)


def with_deadline(parent: Context, deadline: float) -> _Pair:
    """A child cancelled with ``DeadlineExceeded`` at ``deadline``
    (``time.monotonic()`` seconds), or earlier by ``cancel()`` or its parent."""
    _check_parent(parent)
    if isinstance(deadline, bool) or not isinstance(deadline, (int, float)):
        raise TypeError(f"deadline must be a number (time.monotonic() seconds), not {type(deadline).__name__}")
    if math.isnan(deadline):
        raise ValueError("deadline must not be NaN")
    current = parent.deadline()
    if current is not None and current <= deadline:
        return with_cancel(parent)  # the parent's deadline comes first anyway
    child = _derive(parent, float(deadline), "with_deadline")

    def expire() -> None:
        child._cancel(DeadlineExceeded(), None, unlink=True)

    if deadline <= time.monotonic():
        expire()
    elif child._err is None:
        timer = _timers.schedule(deadline, expire)
        with child._lock:
            if child._err is None:
                child._timer = timer
                timer = None  # type: ignore[assignment]
        if timer is not None:
            timer.cancel()  # cancelled while we scheduled

    def cancel() -> None:
        child._cancel(Canceled(), None, unlink=True)

    return _Pair(child, cancel)


def with_timeout(parent: Context, seconds: float) -> _Pair:
    """``with_deadline(parent, time.monotonic() + seconds)``."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"seconds must be a number, not {type(seconds).__name__}")
    if math.isnan(seconds):
        raise ValueError("seconds must not be NaN")
    return with_deadline(parent, time.monotonic() + seconds)


def with_value(parent: Context, key: Any, value: Any) -> Context:
    """A child carrying ``value`` under ``key`` (looked up with ``ctx.value(key)``)."""
    _check_parent(parent)
    try:
        hash(key)
    except TypeError:
        raise TypeError(f"context keys must be hashable, not {type(key).__name__}") from None
    return _ValueCtx(parent, key, value)


def cause(ctx: Context) -> BaseException | None:
    """Why ``ctx`` ended: the cause passed to a ``with_cancel_cause`` cancel,
    else ``ctx.err()``; None while it lives."""
    node = _check_parent(ctx)._cancel_node()
    if node is None or node._err is None:
        return None
    return node._cause if node._cause is not None else node._err

