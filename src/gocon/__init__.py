"""gocon: Go's concurrency patterns for Python.

``Pool`` and ``BufferPool`` (Go's sync.Pool, on a native per-CPU core).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .bufferpool import Buffer, BufferPool
from .pool import Pool

try:
    __version__ = version("gocon")
except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    __version__ = "0+unknown"

__all__ = ["Buffer", "BufferPool", "Pool", "__version__"]
