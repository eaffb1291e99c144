"""``python -m gocon``: status of the install; ``python -m gocon bench``: benchmarks."""

from __future__ import annotations

import argparse
import sys


def _status() -> int:
    import platform

    import gocon
    from gocon import _native

    print(f"gocon {gocon.__version__} on {platform.python_implementation()} {platform.python_version()}")
    print(f"native core: loaded from {_native._core.__file__}")
    print(f"free-threaded build: {_native.FREE_THREADED}")
    print(f"pool shards (per CPU): {_native.SHARDS}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gocon", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("status", help="version, native core, shard count (the default)")
    bench = sub.add_parser("bench", help="compare gocon with the stdlib and pure Python on this machine")
    bench.add_argument("--quick", action="store_true", help="fewer, shorter rounds")
    bench.add_argument("--only", action="append", metavar="TEXT",
                       help="run the groups whose name contains TEXT (repeatable)")
    bench.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    bench.add_argument("--plot", metavar="PATH", help="also draw the ratios as a PNG bar chart (needs gocon[bench])")
    bench.add_argument("--markdown", metavar="PATH", help="also write the results as a Markdown table")
    bench.add_argument("--plain", action="store_true",
                       help="plain-text output even on a terminal with rich installed")
    args = parser.parse_args(argv)
    if args.command == "bench":
        from gocon._bench.runner import main as bench_main

        return bench_main(args.only, args.quick, args.json, args.plot, args.plain, args.markdown)
    return _status()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
