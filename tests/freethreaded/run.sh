#!/usr/bin/env bash
# Build the native core against a free-threaded CPython without cffi (see
# probe.c) and run the no-GIL stress test. Usage: run.sh PATH/TO/python3.13t
set -euo pipefail
py=${1:?usage: run.sh PATH/TO/free-threaded-python}
here=$(cd "$(dirname "$0")" && pwd)
native="$here/../../src/gocon/_native"
out=$(mktemp -d)
mkdir -p "$out/gocon/_native"
: > "$out/gocon/__init__.py"
: > "$out/gocon/_native/__init__.py"
inc=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
suffix=$("$py" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
gcc -shared -fPIC -O2 -g -std=gnu11 -Wall -Werror -Wno-unused-parameter -fvisibility=hidden ${GOCON_FT_CFLAGS:-} \
    -I"$inc" -I"$native" "$native/module.c" "$native/pool.c" "$native/bufpool.c" "$native/semcount.c" "$here/probe.c" \
    -o "$out/gocon/_native/_core$suffix"
PYTHONPATH="$out" "$py" -X gil=0 "$here/stress.py"
rm -rf "$out"
