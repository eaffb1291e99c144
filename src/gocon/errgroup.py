"""ErrGroup: Go's golang.org/x/sync/errgroup for threads and async tasks.

    group, ctx = ErrGroup.with_context(parent)
    for url in urls:
        group.go(fetch, ctx, url)    # a worker thread per call (reused)
    group.wait()                     # raises the first error

    async with ErrGroup() as g:      # coroutine functions run as tasks
        g.go(fetch_async, url)       # sync callables run on worker threads
                                     # without blocking the loop

Semantics (Go's):

* ``wait()`` waits for every function, then raises the first exception one of
  them raised -- again on every later ``wait()``. The other exceptions are not
  lost: they are in ``group.errors`` and listed in a note on the first one.
* With ``with_context``, the first failure cancels the group's ``ctx`` (with
  the exception as its cause, see ``gocon.cause``), and ``wait()`` returning
  cancels it too. Nothing else is cancelled: siblings stop cooperatively by
  watching ``ctx``, in threads and tasks alike.
* ``set_limit(n)`` bounds the functions running at once; ``go`` then blocks
  the calling thread until a slot frees (inside ``async with``, the task waits
  for its slot instead, so the loop never blocks); ``try_go`` returns False.
* ``KeyboardInterrupt`` and ``SystemExit`` raised in a function are never
  swallowed: ``wait()`` raises them ahead of any ordinary exception, and in a
  task they propagate through the task group as usual.
* ``executor=``: any ``concurrent.futures.Executor`` (a ``ProcessPoolExecutor``,
  or a cluster's executor such as Dask's) runs the sync functions instead of
  gocon's worker threads, with the same semantics.
"""

from __future__ import annotations

import inspect
import threading
import time
from _thread import get_ident
from inspect import CO_COROUTINE
from concurrent.futures import Executor, Future
from functools import partial
from types import FunctionType, TracebackType
from typing import TYPE_CHECKING, Any, Callable

from . import _workers, debug
from ._park import remaining
from .context import _DoneChan, background, with_cancel_cause
from .semaphore import Semaphore
from .waitgroup import WaitGroup

if TYPE_CHECKING:
    from .context import Context

__all__ = ["ErrGroup"]


class ErrGroup:
    """Run functions concurrently; wait for all; get the first error.

    Go's ``errgroup.Group``. ``go(fn, *args)`` runs a sync function on a
    reused worker thread (or ``executor=``), or a coroutine function as a task
    inside ``async with ErrGroup() as g``. ``wait()`` waits for every function
    and raises the first exception one of them raised (all are in
    ``errors``). With ``with_context`` the first failure cancels the group's
    context -- nothing else is cancelled: functions stop by watching it.
    ``set_limit(n)`` bounds how many run at once.

    Leaving ``async with`` waits for every function, also when the body
    fails or is cancelled (thread functions cannot be interrupted; the
    cancelled context tells them to stop).
    """

    def __init__(self, *, executor: Executor | None = None) -> None:
        if executor is not None and not isinstance(executor, Executor):
            raise TypeError(f"executor must be a concurrent.futures.Executor, not {type(executor).__name__}")
        self._executor = executor
        self._lock = threading.Lock()
        self._wg = WaitGroup()
        self._sem: Semaphore | None = None
        self._errors: list[BaseException] = []
        self._fatal: BaseException | None = None
        self._noted = 0
        self._cancel: Callable[..., None] | None = None
        self._tg: Any = None
        self._loop_thread: int | None = None
        self._started = 0  # > 0 once functions were started (for gocon.debug's leak check)
        self._waited = False
        self._tracked = debug._enabled and debug._groups is not None
        if self._tracked:
            debug._groups.add(self)
        self._tasks = 0  # tasks not finished (touched only in the loop's thread)
        # Closed when _tasks drops to 0; a new one is made when it leaves 0. It is
        # swapped only in the loop's thread; a waiting thread just reads the
        # reference, so a wait that starts while tasks run cannot miss the close.
        self._tasks_idle: Any = None
        self._spawn: Callable[..., Any] | None = None  # start_soon-like
        self._create: Callable[..., Any] | None = None  # asyncio: TaskGroup.create_task
        # The loop's thread while go() may take its fast path (asyncio, no limit), else None.
        self._fast_thread: int | None = None

    @classmethod
    def with_context(cls, parent: Context | None = None, *, executor: Executor | None = None) -> tuple[ErrGroup, Context]:
        """A group and a context derived from ``parent`` that is cancelled at
        the group's first failure or when ``wait`` returns."""
        ctx, cancel = with_cancel_cause(parent if parent is not None else background())
        group = cls(executor=executor)
        group._cancel = cancel
        return group, ctx

    # ---- bookkeeping ------------------------------------------------------------

    @property
    def errors(self) -> list[BaseException]:
        """Every exception the functions raised, in the order they were raised."""
        with self._lock:
            return list(self._errors)

    def _fail(self, exc: BaseException) -> None:
        with self._lock:
            self._errors.append(exc)
            first = len(self._errors) == 1
            if not isinstance(exc, Exception) and self._fatal is None:
                self._fatal = exc
        if first and self._cancel is not None:
            self._cancel(exc)

    def _finish_wait(self) -> None:
        """After every function ended: cancel the context and raise."""
        self._waited = True
        if self._cancel is not None:
            self._cancel()
        with self._lock:
            errors = list(self._errors)
            fatal = self._fatal
        if not errors:
            return
        first = fatal if fatal is not None else errors[0]
        others = [e for e in errors if e is not first]
        if len(others) > self._noted and hasattr(first, "add_note"):
            for e in others[self._noted :]:
                first.add_note(f"ErrGroup: another function also failed: {type(e).__name__}: {e}")
            self._noted = len(others)
        raise first

    def _check_fn(self, fn: Any) -> None:
        if not callable(fn):
            raise TypeError(f"ErrGroup.go() needs a callable, not {type(fn).__name__}")

    def _in_loop(self) -> bool:
        return self._tg is not None and threading.get_ident() == self._loop_thread

    # ---- starting functions --------------------------------------------------------

    def go(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run ``fn(*args, **kwargs)`` in the group (see the module docstring)."""
        if (
            get_ident() == self._fast_thread
            and fn.__class__ is FunctionType
            and fn.__code__.co_flags & CO_COROUTINE
        ):
            # The common case, written out: a coroutine function inside
            # `async with` on asyncio, no limit -- straight to a task.
            if not self._tasks:
                self._tasks_idle = _DoneChan(self)
                self._started += 1
            self._tasks += 1
            self._create(self._run_plain(fn, args, kwargs))  # type: ignore[misc]
            return
        if not callable(fn):
            self._check_fn(fn)
        if self._tg is not None and get_ident() == self._loop_thread:
            self._start_task(fn, args, kwargs, slot_taken=False)
            return
        if inspect.iscoroutinefunction(fn):
            raise RuntimeError("coroutine functions run as tasks: use `async with ErrGroup() as g:` and call g.go() inside it")
        if self._sem is not None:
            self._sem.acquire()
        self._start_thread(fn, args, kwargs)

    def try_go(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
        """Like ``go``, but return False instead of waiting for a free slot."""
        self._check_fn(fn)
        if not self._in_loop() and inspect.iscoroutinefunction(fn):
            raise RuntimeError("coroutine functions run as tasks: use `async with ErrGroup() as g:` and call g.go() inside it")
        if self._sem is not None and not self._sem.try_acquire():
            return False
        if self._in_loop():
            self._start_task(fn, args, kwargs, slot_taken=True)
        else:
            self._start_thread(fn, args, kwargs)
        return True

    def set_limit(self, n: int) -> None:
        """Run at most ``n`` functions at once (``-1``: no limit). Not while
        functions are running."""
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"set_limit(n): n must be an int, not {type(n).__name__}")
        if n == 0 or n < -1:
            raise ValueError(f"set_limit(n): n must be >= 1, or -1 for no limit; got {n}")
        active = self._wg.count + self._tasks
        if active:
            raise RuntimeError(f"set_limit() while {active} function(s) of the group are active")
        self._sem = None if n == -1 else Semaphore(n)
        self._fast_thread = self._loop_thread if self._create is not None and self._sem is None else None

    def _release_slot(self) -> None:
        if self._sem is not None:
            self._sem.release()

    def _start_thread(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self._started += 1
        self._wg.add(1)
        if self._executor is not None:
            try:
                fut = self._executor.submit(fn, *args, **kwargs)
            except BaseException:
                self._release_slot()
                self._wg.done()
                raise
            fut.add_done_callback(self._executor_done)
            return

        def job() -> None:
            try:
                fn(*args, **kwargs)
            except BaseException as exc:
                self._fail(exc)
            finally:
                self._release_slot()
                self._wg.done()

        _workers.submit(job)

    def _executor_done(self, fut: Future[Any]) -> None:
        try:
            exc = None if fut.cancelled() else fut.exception()
            if fut.cancelled():
                from concurrent.futures import CancelledError

                exc = CancelledError("the executor cancelled the function")
            if exc is not None:
                self._fail(exc)
        finally:
            self._release_slot()
            self._wg.done()

    async def _run_plain(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        try:
            await (fn(*args, **kwargs) if kwargs else fn(*args))  # (without ** the call is cheaper)
        except Exception as exc:
            self._fail(exc)  # siblings are not cancelled: only the ctx is
        finally:
            self._tasks -= 1  # (_task_done, inlined: this runs once per task)
            if not self._tasks:
                self._task_done(0)

    def _start_task(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], slot_taken: bool) -> None:
        # Tasks are counted here, not in _wg: both sides of the count run in
        # the loop's thread, so a plain int does (a WaitGroup costs a lock).
        if not self._tasks:
            self._tasks_idle = _DoneChan(self)
        self._tasks += 1
        self._started += 1
        code = getattr(fn, "__code__", None)  # plain functions: skip inspect's unwrapping
        is_async = bool(code.co_flags & CO_COROUTINE) if code is not None else inspect.iscoroutinefunction(fn)
        if is_async and self._sem is None:
            if self._create is not None:  # asyncio: create the task directly
                self._create(self._run_plain(fn, args, kwargs))
            else:
                self._spawn(self._run_plain, fn, args, kwargs)  # type: ignore[misc]
            return
        import anyio

        async def task() -> None:
            have_slot = slot_taken
            try:
                if self._sem is not None and not have_slot:
                    await self._sem.acquire_async()
                    have_slot = True
                if is_async:
                    await fn(*args, **kwargs)
                elif _is_trio():
                    # anyio's thread runner is shielded: a cancelled task still
                    # waits for its thread, which cannot be interrupted.
                    if self._executor is not None:
                        fut = self._executor.submit(fn, *args, **kwargs)
                        await anyio.to_thread.run_sync(fut.result)
                    else:
                        await anyio.to_thread.run_sync(partial(fn, *args, **kwargs))
                else:
                    import asyncio

                    if self._executor is not None:
                        done = asyncio.wrap_future(self._executor.submit(fn, *args, **kwargs))
                    else:
                        done = asyncio.ensure_future(anyio.to_thread.run_sync(partial(fn, *args, **kwargs)))
                    await _outlast_cancellation(done, self._fail)
            except Exception as exc:
                self._fail(exc)  # siblings are not cancelled: only the ctx is
            finally:
                if have_slot:
                    self._release_slot()
                self._task_done()

        self._spawn(task)  # type: ignore[misc]

    def _task_done(self, n: int = 1) -> None:
        self._tasks -= n
        if not self._tasks:
            idle, self._tasks_idle = self._tasks_idle, None
            if idle is not None:
                idle._end()

    # ---- waiting -------------------------------------------------------------------------

    def wait(self, *, timeout: float | None = None, ctx: Context | None = None) -> None:
        """Wait for every function (threads and tasks); raise the first exception
        (see the module docstring). One ``timeout`` covers the whole wait."""
        deadline = None if timeout is None else time.monotonic() + timeout
        idle = self._tasks_idle
        if idle is not None:
            idle.recv_ok(timeout=remaining(deadline), ctx=ctx)
        self._wg.wait(timeout=remaining(deadline), ctx=ctx)
        self._finish_wait()

    async def wait_async(self, *, timeout: float | None = None, ctx: Context | None = None) -> None:
        """Async twin of ``wait``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        idle = self._tasks_idle
        if idle is not None:
            await idle.recv_ok_async(timeout=remaining(deadline), ctx=ctx)
        await self._wg.wait_async(timeout=remaining(deadline), ctx=ctx)
        self._finish_wait()

    def __enter__(self) -> ErrGroup:
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        if e is not None:
            if self._cancel is not None:
                self._cancel(e)  # the body failed: tell the functions to stop
            self._wg.wait()
            self._waited = True
            return
        self.wait()

    async def __aenter__(self) -> ErrGroup:
        # The event loop's own task group (asyncio.TaskGroup, a trio nursery):
        # anyio's measured 4x slower to spawn+join. Functions never raise
        # into it (failures are caught and recorded), so it only waits --
        # and propagates cancellations and BaseExceptions, as it should.
        import sniffio

        if sniffio.current_async_library() == "trio":
            import trio

            self._tg = trio.open_nursery()
            nursery = await self._tg.__aenter__()
            self._spawn = nursery.start_soon
        else:
            import asyncio

            self._tg = asyncio.TaskGroup()
            await self._tg.__aenter__()
            create = self._tg.create_task
            self._create = create
            self._spawn = lambda fn, *args: create(fn(*args))
        self._loop_thread = threading.get_ident()
        if self._create is not None and self._sem is None:
            self._fast_thread = self._loop_thread
        return self

    async def __aexit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        if e is not None and self._cancel is not None:
            self._cancel(e)
        # The task group stays open to go() until it has exited: a running
        # task may still start siblings while the group waits for them (Go).
        tg = self._tg
        try:
            await tg.__aexit__(t, e, tb)
        except BaseExceptionGroup as group:
            # The event loop's task group wraps the body's own exception in a
            # group; the functions never raise into it. Let the body's
            # exception propagate as itself.
            if e is None or any(x is not e for x in group.exceptions):
                raise
        finally:
            self._tg = self._loop_thread = self._fast_thread = None
            self._spawn = self._create = None
            # Every task of the group has ended now; one cancelled before it
            # ever ran never reached its finally, and is still counted.
            if self._tasks:
                self._task_done(self._tasks)
        await self._wg.wait_async()  # functions sent to threads or an executor
        self._waited = True
        if e is None:
            self._finish_wait()

    def __del__(self) -> None:
        # An ErrGroup dropped with functions it never waited for is a leak
        # gocon.debug reports (its functions' errors are lost).
        if getattr(self, "_tracked", False) and self._started and not self._waited and debug._enabled:
            debug._unwaited_collected.append(f"{self!r} (collected)")

    def __repr__(self) -> str:
        return f"<gocon.ErrGroup active={self._wg.count + self._tasks} errors={len(self._errors)}>"


def _is_trio() -> bool:
    import sniffio

    return sniffio.current_async_library() == "trio"


async def _outlast_cancellation(done: Any, on_error: Callable[[BaseException], None]) -> None:
    """Await an asyncio future that stands for work in a thread or process.

    asyncio.TaskGroup cancels its tasks with ``Task.cancel()``, which anyio's
    shielding cannot intercept, so the shield is done here: a cancellation
    waits until the work has finished (a thread cannot be interrupted; the
    group's ctx, cancelled by then, is how it learns to stop) and then stands.
    Structured concurrency holds on both backends: when ``async with`` exits,
    every function of the group has ended. If the work failed meanwhile, its
    exception goes to ``on_error`` (it is not lost behind the cancellation).
    """
    import asyncio

    try:
        await asyncio.shield(done)
    except asyncio.CancelledError:
        while not done.done():
            try:
                await asyncio.shield(done)
            except asyncio.CancelledError:
                pass  # cancelled again while waiting: still wait
        exc = None if done.cancelled() else done.exception()
        if exc is not None:
            on_error(exc)
        raise
