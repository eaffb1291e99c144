"""gocon.debug: see what is blocked, where time goes to blocking, and leaks.

Go programmers find a stuck worker with a goroutine dump and a slow pipeline
with the block profile. This module gives the same for threads, asyncio tasks
and trio tasks blocked on gocon primitives:

    import gocon.debug
    gocon.debug.enable(stacks=True)
    ...
    gocon.debug.dump()                  # everything blocked right now, with stacks
    print(gocon.debug.block_profile_report())   # where the program waits, by call site

Only operations that actually block are recorded: the fast paths (a value
ready, a unit free) never look at this module, and while it is disabled a
blocking operation pays one flag check. Enabled without stacks, recording
costs a dictionary insert and delete per blocked operation.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
import traceback
from typing import Any, TextIO, TypedDict

__all__ = [
    "BlockedOp",
    "block_profile",
    "block_profile_report",
    "blocked",
    "disable",
    "dump",
    "enable",
    "enabled",
    "outstanding_buffers",
    "reset_profile",
]

_enabled = False
_stacks = False
_lock = threading.Lock()
_blocked: dict[int, _Record] = {}
_profile: dict[tuple[Any, str], list[float]] = {}
_seq = 0
#: ErrGroups created while enabled (for the pytest plugin's leak check), and
#: descriptions of those collected without ever being waited for.
_groups: Any = None
_unwaited_collected: list[str] = []

_OPS = {
    "Chan.send()": "send",
    "Chan.recv()": "recv",
    "Chan.recv_ok()": "recv",
    "select()": "select",
    "Semaphore.acquire()": "acquire",
}


class BlockedOp(TypedDict):
    """One operation blocked right now."""

    primitive: str  #: repr of the object waited on (several for a select)
    op: str  #: "send", "recv", "select", "acquire", "wait"
    waiter: str  #: thread name, or asyncio / trio task name
    since: float  #: seconds blocked so far
    stack: str | None  #: where the caller blocked (when stacks are enabled)
    site: str  #: the caller's file:line


class _Record:
    __slots__ = ("owners", "op", "waiter", "start", "stack", "site")

    def __init__(self, owners: list[Any], op: str, waiter: str, stack: str | None, site: str) -> None:
        self.owners = owners
        self.op = op
        self.waiter = waiter
        self.start = time.monotonic()
        self.stack = stack
        self.site = site


def enable(stacks: bool = True) -> None:
    """Start recording blocked operations (and their stacks, if ``stacks``)."""
    global _enabled, _stacks, _groups
    if _groups is None:
        import weakref

        _groups = weakref.WeakSet()
    _stacks = bool(stacks)
    _enabled = True
    from . import _bufferdebug

    _bufferdebug.install(track_sites=_stacks)


def disable() -> None:
    """Stop recording. What is blocked now stays listed until it unblocks."""
    global _enabled
    _enabled = False
    from . import _bufferdebug

    _bufferdebug.uninstall()


def enabled() -> bool:
    return _enabled


def _waiter_name() -> str:
    task = asyncio.current_task() if asyncio._get_running_loop() is not None else None
    if task is not None:
        return f"asyncio task {task.get_name()!r}"
    if "trio" in sys.modules:
        import trio

        try:
            return f"trio task {trio.lowlevel.current_task().name!r}"
        except RuntimeError:
            pass
    return f"thread {threading.current_thread().name!r}"


_INTERNAL = ("/gocon/_park.py", "/gocon/chan.py", "/gocon/_select.py", "/gocon/semaphore.py",
             "/gocon/waitgroup.py", "/gocon/once.py", "/gocon/errgroup.py", "/gocon/context.py",
             "/gocon/debug.py")


def _user_frame() -> Any:
    """The innermost frame outside gocon, anyio, asyncio and trio."""
    f: Any = sys._getframe(2)
    while f is not None:
        fn = f.f_code.co_filename
        if not (fn.endswith(_INTERNAL) or "/anyio/" in fn or "/asyncio/" in fn or "/trio/" in fn):
            return f
        f = f.f_back
    return None


def _begin(entries: list[Any], what: str) -> int:
    """A blocking operation starts waiting; returns its record id."""
    global _seq
    owners: list[Any] = []
    for e in entries:
        if e.chan not in owners:
            owners.append(e.chan)
    op = _OPS.get(what, what)
    if op == "recv" and getattr(owners[0], "_owner", None) is not None:
        op = "wait"  # a WaitGroup, Once or Context waiting on its done channel
    f = _user_frame()
    site = f"{f.f_code.co_filename}:{f.f_lineno} in {f.f_code.co_name}" if f is not None else "?"
    stack = "".join(traceback.format_stack(f, limit=40)) if _stacks and f is not None else None
    rec = _Record(owners, op, _waiter_name(), stack, site)
    with _lock:
        _seq += 1
        key = _seq
        _blocked[key] = rec
    return key


def _end(key: int) -> None:
    with _lock:
        rec = _blocked.pop(key, None)
        if rec is None or not _enabled:
            return
        # Keyed by identity; labels are made only when the profile is read.
        k = (tuple(rec.owners), rec.site)
        slot = _profile.get(k)
        if slot is None:
            _profile[k] = [time.monotonic() - rec.start, 1]
        else:
            slot[0] += time.monotonic() - rec.start
            slot[1] += 1


def _describe(owners: list[Any]) -> str:
    parts = []
    for o in owners:
        owner = getattr(o, "_owner", None)
        parts.append(repr(owner) if owner is not None else repr(o))
    return " | ".join(parts)


def _label(owners: list[Any]) -> str:
    """A stable name per primitive for the profile (its repr changes as it runs)."""
    parts = []
    for o in owners:
        x = getattr(o, "_owner", None) or o
        parts.append(f"{type(x).__name__} at {id(x):#x}")
    return " | ".join(parts)


def blocked() -> list[BlockedOp]:
    """Every operation blocked right now on a gocon primitive, longest first."""
    now = time.monotonic()
    with _lock:
        recs = list(_blocked.values())
    out = [
        BlockedOp(
            primitive=_describe(r.owners),
            op=r.op,
            waiter=r.waiter,
            since=now - r.start,
            stack=r.stack,
            site=r.site,
        )
        for r in recs
    ]
    out.sort(key=lambda b: -b["since"])
    return out


def dump(file: TextIO | None = None) -> str:
    """Write (to ``file``, default stderr) and return a goroutine-dump-like
    report of everything blocked, and of buffers not returned to their pool."""
    lines = []
    ops = blocked()
    lines.append(f"gocon: {len(ops)} operation(s) blocked")
    for b in ops:
        lines.append(f"\n{b['waiter']} [{b['op']}, {b['since']:.3f} s]:")
        lines.append(f"    on {b['primitive']}")
        lines.append(f"    at {b['site']}")
        if b["stack"]:
            lines.append("    " + b["stack"].rstrip().replace("\n", "\n    "))
    bufs = outstanding_buffers()
    if bufs:
        lines.append(f"\ngocon: {sum(bufs.values())} BufferPool buffer(s) taken and not returned, by call site:")
        for site, n in sorted(bufs.items(), key=lambda kv: -kv[1]):
            lines.append(f"    {n:6d}  {site}")
    text = "\n".join(lines) + "\n"
    (file if file is not None else sys.stderr).write(text)
    return text


def block_profile() -> dict[tuple[str, str], tuple[float, int]]:
    """Cumulative blocked seconds and count per (primitive, call site), for
    operations that ended while recording was enabled."""
    with _lock:
        items = list(_profile.items())
    out: dict[tuple[str, str], tuple[float, int]] = {}
    for (owners, site), (secs, count) in items:
        k = (_label(list(owners)), site)
        prev = out.get(k, (0.0, 0))
        out[k] = (prev[0] + secs, prev[1] + int(count))
    return out


def block_profile_report(limit: int = 20) -> str:
    """The block profile as text, most time first."""
    rows = sorted(block_profile().items(), key=lambda kv: -kv[1][0])[:limit]
    out = [f"{'seconds':>10} {'count':>7}  primitive / call site"]
    for (prim, site), (secs, count) in rows:
        out.append(f"{secs:10.3f} {count:7d}  {prim}\n{'':20}{site}")
    return "\n".join(out)


def reset_profile() -> None:
    with _lock:
        _profile.clear()


def outstanding_buffers() -> dict[str, int]:
    """Buffers taken from any BufferPool and not returned, by the call site that
    took them (recorded while enabled with stacks)."""
    from . import _bufferdebug

    return _bufferdebug.outstanding()
