"""Loader for gocon's native core, a cffi API-mode extension.

The extension (``_core``) carries two surfaces:

* C-API types -- ``NativePool``, ``NativeBufferPool``, ``Buffer``, ``SemCount`` -- created once
  by ``lib.gocon_native_init``. Their methods are the hot paths; calling them
  costs what a builtin method call costs, with no GIL release.
* ``lib``: plain C functions for rare operations (stats snapshots, trimming,
  self-checks). cffi releases the GIL around these; each retakes it inside.

See ``docs/native-core.md`` for why the split exists.
"""

from __future__ import annotations

import os

from . import _core  # type: ignore[attr-defined]  # (a cffi extension; see _core.pyi)

ffi = _core.ffi
lib = _core.lib


def _init() -> None:
    err = ffi.new("char[]", 512)
    if lib.gocon_native_init(os.cpu_count() or 1, err, len(err)) != 0:
        detail = ffi.string(err).decode("utf-8", "replace")
        raise ImportError(f"gocon's native core failed to initialise: {detail}")


_init()

def extend(native: type, layer: type) -> type:
    """Install the Python-level methods of ``layer`` on the native type.

    The public classes *are* the C types: CPython's call specialisations
    (``PRECALL_NO_KW_METHOD_DESCRIPTOR_*``) require the instance's exact type
    to be the one that defines the method, and a Python subclass measured
    ~1.9x slower per ``get``+``put``. So rare-path methods written in Python
    (stats, borrow, repr) are attached to the C type instead of a subclass.
    """
    skip = {"__module__", "__qualname__", "__dict__", "__weakref__", "__slots__", "__orig_bases__", "__parameters__"}
    for name, value in vars(layer).items():
        if name not in skip and not (name == "__annotations__" or name.startswith("_abc")):
            setattr(native, name, value)
    return native


NativePool = _core.NativePool
NativeBufferPool = _core.NativeBufferPool
Buffer = _core.Buffer
SemCount = _core.SemCount

#: True when the core was built for a free-threaded (no-GIL) CPython.
FREE_THREADED: bool = bool(lib.gocon_free_threaded())
#: Number of per-CPU shards every Pool uses (the CPU count, at most 256).
SHARDS: int = lib.gocon_nshards()

__all__ = ["Buffer", "FREE_THREADED", "NativeBufferPool", "NativePool", "SHARDS", "SemCount", "extend", "ffi", "lib"]
