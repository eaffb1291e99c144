"""BufferPool call-site tracking for gocon.debug (installed only while enabled).

The C methods ``BufferPool.get``/``put`` are swapped for Python wrappers that
remember which call site took each buffer, then swapped back on disable, so
the normal hot path never pays for it. While tracking, a reference to every
outstanding buffer is kept (Buffer objects are not weak-referenceable): a
buffer dropped without ``put()`` then shows as outstanding, with the line
that took it, instead of being freed and counted as ``abandoned``.
"""

from __future__ import annotations

import threading
import traceback
from collections import Counter
from typing import Any

from ._native import NativeBufferPool

_lock = threading.Lock()
_taken: dict[int, tuple[Any, str]] = {}
_orig: dict[str, Any] = {}


def _site() -> str:
    f = traceback.extract_stack(limit=3)[0]
    return f"{f.filename}:{f.lineno} in {f.name}"


def install(track_sites: bool) -> None:
    if not track_sites or _orig:
        return
    get = NativeBufferPool.__dict__["get"]
    put = NativeBufferPool.__dict__["put"]
    _orig.update(get=get, put=put)

    def traced_get(self: Any, n: int) -> Any:
        buf = get(self, n)
        with _lock:
            _taken[id(buf)] = (buf, _site())
        return buf

    def traced_put(self: Any, buf: Any) -> None:
        put(self, buf)
        with _lock:
            _taken.pop(id(buf), None)

    traced_get.__doc__, traced_put.__doc__ = get.__doc__, put.__doc__
    NativeBufferPool.get = traced_get  # type: ignore[method-assign]
    NativeBufferPool.put = traced_put  # type: ignore[method-assign]


def uninstall() -> None:
    if not _orig:
        return
    NativeBufferPool.get = _orig.pop("get")  # type: ignore[method-assign]
    NativeBufferPool.put = _orig.pop("put")  # type: ignore[method-assign]


def outstanding() -> dict[str, int]:
    with _lock:
        return dict(Counter(site for buf, site in _taken.values() if not buf.returned))


def forget() -> None:
    with _lock:
        _taken.clear()
