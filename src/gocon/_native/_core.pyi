# The cffi-built extension: its types are created at run time by
# lib.gocon_native_init (see module.c); gocon.pool / gocon.bufferpool carry
# the typed public surface.
from typing import Any

ffi: Any
lib: Any
NativePool: Any
NativeBufferPool: Any
Buffer: Any
SemCount: Any
