"""``python -m gocon``: version and native-core status."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    import platform

    import gocon
    from gocon import _native

    print(f"gocon {gocon.__version__} on {platform.python_implementation()} {platform.python_version()}")
    print(f"native core: loaded from {_native._core.__file__}")
    print(f"free-threaded build: {_native.FREE_THREADED}")
    print(f"pool shards (per CPU): {_native.SHARDS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
