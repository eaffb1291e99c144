"""cffi build script for gocon's native core (API mode).

``setup.py`` names this file in ``cffi_modules``; setuptools then compiles
``gocon._native._core`` from the C files beside it. Run it directly
(``python src/gocon/_native/_ffi_build.py``) to build in place for hacking.

Two deliberate choices:

* ``py_limited_api=False``. The hot paths are CPython C-API types
  (``pool.c``, ``bufpool.c``) that use the full API: inline refcounting,
  ``PyObject_TypeCheck``, critical sections on free-threaded builds. The
  wheel is therefore tagged per CPython version, not ``abi3``.
* Free-threaded CPython (``Py_GIL_DISABLED``) is handled explicitly: cffi >= 2.0
  declares the module ``Py_MOD_GIL_NOT_USED``, and the C code then guards its
  shards and size classes with ``PyMutex`` (see ``compat.h``). cffi supports
  free-threading from 3.14t on; older free-threaded interpreters are refused
  with a clear message instead of building a module that re-enables the GIL.

``GOCON_SANITIZE=address`` builds with AddressSanitizer (see docs/native-core.md).
"""

from __future__ import annotations

import os
import re
import sys
import sysconfig

from cffi import FFI

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCES = ["module.c", "pool.c", "bufpool.c", "semcount.c"]
HEADERS = ["compat.h", "core.h", "gocon_api.h"]


def _rel(name: str) -> str:
    # setuptools wants source paths relative to the project root (setup.py's cwd).
    path = os.path.join(HERE, name)
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path


def _cdef() -> str:
    with open(os.path.join(HERE, "gocon_api.h"), encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def _compile_args() -> tuple[list[str], list[str]]:
    if sys.platform == "win32":
        return [], []
    cflags = ["-O3", "-fvisibility=hidden", "-std=gnu11", "-Wall", "-Wno-unused-parameter", "-fno-strict-aliasing"]
    ldflags: list[str] = []
    sanitize = os.environ.get("GOCON_SANITIZE", "")
    if sanitize:
        cflags += [f"-fsanitize={sanitize}", "-fno-omit-frame-pointer", "-g", "-O1"]
        ldflags += [f"-fsanitize={sanitize}"]
    return cflags, ldflags


if sysconfig.get_config_var("Py_GIL_DISABLED") and sys.version_info < (3, 14):
    raise RuntimeError(
        "gocon's native core needs cffi's free-threading support, which starts at "
        "CPython 3.14t; this is %s (free-threaded). Use a GIL build or 3.14t+." % sys.version.split()[0]
    )

ffi = FFI()
ffi.cdef(_cdef())
_cflags, _ldflags = _compile_args()
ffi.set_source(
    "gocon._native._core",
    '#include "core.h"',
    sources=[_rel(s) for s in SOURCES],
    depends=[_rel(h) for h in HEADERS],
    include_dirs=[_rel(".")],
    extra_compile_args=_cflags,
    extra_link_args=_ldflags,
    py_limited_api=False,
)

if __name__ == "__main__":
    os.chdir(os.path.join(HERE, "..", "..", ".."))
    ffi.compile(tmpdir="src", verbose=True)
