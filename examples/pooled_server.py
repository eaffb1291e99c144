"""A length-prefixed echo server that pools its buffers, and a loopback load test.

    python examples/pooled_server.py                    # load-test both modes, print a table
    python examples/pooled_server.py --seconds 5 --connections 64 --size 16384
    python examples/pooled_server.py serve --mode pooled   # just the server

Protocol: a frame is a 4-byte big-endian length and that many bytes; the
server sends every frame back unchanged.

Modes:
* ``pooled``: ``asyncio.BufferedProtocol``; each connection reads straight into
  one block from a :class:`gocon.BufferPool` (``get_buffer`` hands out a view
  of it) and parses frames in place; the block goes back on disconnect.
* ``plain``: the usual ``asyncio.Protocol.data_received``, which receives a
  new ``bytes`` object per read and accumulates frames in a ``bytearray``.

The load generator runs on loopback only, bounded in connections, requests
and seconds, checks every reply byte for byte, and reports requests/s,
p50/p99 latency, the server's peak RSS, and an estimate of the bytes the
server allocates per request: tracemalloc's peak is reset after every
callback and read at the start of the next, which counts the short-lived
buffers a read creates (a lower bound on what was allocated). tracemalloc
slows the server, so speed and allocation come from two runs of each mode.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import struct
import subprocess
import sys
import time
import tracemalloc
from typing import Any

from gocon import BufferPool

HEADER = struct.Struct("!I")
BLOCK = 64 * 1024


class _Meter:
    """Estimates transient allocation between and inside protocol callbacks."""

    def __init__(self) -> None:
        self.bytes = 0
        self.requests = 0
        self.mark = 0
        self.on = os.environ.get("GOCON_EXAMPLE_METER", "1") != "0"

    def enter(self) -> None:
        if not self.on:
            return
        cur, peak = tracemalloc.get_traced_memory()
        self.bytes += max(0, peak - self.mark)  # allocated since the last callback
        tracemalloc.reset_peak()
        self.mark = cur

    def leave(self) -> None:
        if not self.on:
            return
        cur, peak = tracemalloc.get_traced_memory()
        self.bytes += max(0, peak - self.mark)  # allocated inside this callback
        tracemalloc.reset_peak()
        self.mark = cur


class PooledEcho(asyncio.BufferedProtocol):
    def __init__(self, pool: BufferPool, meter: _Meter) -> None:
        self.pool, self.meter = pool, meter
        self.buf = pool.get(BLOCK)
        self.view = memoryview(self.buf)
        self.have = 0  # bytes of unparsed data at the front of the block
        self.retired: list[Any] = []  # outgrown blocks, returned once asyncio drops its view
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def get_buffer(self, sizehint: int) -> memoryview:
        self.meter.enter()
        while self.retired:  # the transport's view of an outgrown block is gone by now
            self.pool.put(self.retired.pop())
        return self.view[self.have :]

    def buffer_updated(self, nbytes: int) -> None:
        self.have += nbytes
        view, start = self.view, 0
        while self.have - start >= 4:
            (length,) = HEADER.unpack_from(view, start)
            end = start + 4 + length
            if end > len(view):  # a frame larger than the block: move to a bigger one
                self._grow(4 + length, start)
                view, start = self.view, 0
                continue
            if end > self.have:
                break
            # A copy: from 3.12 on, a transport that cannot send at once keeps a
            # *view* of what it was given, and this block is reused for the
            # next read. The read side -- the part that allocated a fresh
            # buffer per read -- is what the pool saves.
            self.transport.write(bytes(view[start:end]))
            self.meter.requests += 1
            start = end
        if start:
            rest = self.have - start
            view[:rest] = view[start : self.have]
            self.have = rest
        self.meter.leave()

    def _grow(self, need: int, start: int) -> None:
        bigger = self.pool.get(max(need, 2 * len(self.view)))
        new = memoryview(bigger)
        rest = self.have - start
        new[:rest] = self.view[start : self.have]
        # asyncio still holds the view it read into: return the block later.
        self.retired.append(self.buf)
        self.buf, self.view, self.have = bigger, new, rest

    def connection_lost(self, exc: BaseException | None) -> None:
        self.view = None  # type: ignore[assignment]
        for buf in (*self.retired, self.buf):
            self.pool.put(buf)


class PlainEcho(asyncio.Protocol):
    def __init__(self, meter: _Meter) -> None:
        self.meter = meter
        self.acc = bytearray()
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.meter.enter()
        acc = self.acc
        acc += data
        while len(acc) >= 4:
            (length,) = HEADER.unpack_from(acc, 0)
            if len(acc) < 4 + length:
                break
            self.transport.write(bytes(acc[: 4 + length]))
            del acc[: 4 + length]
            self.meter.requests += 1
        self.meter.leave()


async def serve(mode: str, host: str = "127.0.0.1") -> None:
    """Serve until stdin closes; then print stats as JSON on stdout."""
    loop = asyncio.get_running_loop()
    meter = _Meter()
    pool = BufferPool()
    if meter.on:
        tracemalloc.start(1)
        meter.mark = tracemalloc.get_traced_memory()[0]
    factory: Any = (lambda: PooledEcho(pool, meter)) if mode == "pooled" else (lambda: PlainEcho(meter))
    server = await loop.create_server(factory, host, 0)
    print(json.dumps({"port": server.sockets[0].getsockname()[1]}), flush=True)
    await loop.run_in_executor(None, sys.stdin.read)  # until the parent closes our stdin
    server.close()
    await server.wait_closed()
    tracemalloc.stop()
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({
        "requests": meter.requests,
        "alloc_bytes": meter.bytes,
        "peak_rss_mib": rss_kib / 1024,
        "outstanding_buffers": pool.stats()["outstanding"],
    }), flush=True)


async def _client(port: int, size: int, deadline: float, max_requests: int, lat: list[float], errors: list[str]) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    payload = os.urandom(size)
    frame = HEADER.pack(size) + payload
    done = 0
    try:
        while time.monotonic() < deadline and done < max_requests:
            t0 = time.perf_counter()
            writer.write(frame)
            header = await reader.readexactly(4)
            body = await reader.readexactly(HEADER.unpack(header)[0])
            lat.append(time.perf_counter() - t0)
            if header + body != frame:
                errors.append("reply differs from request")
                break
            done += 1
    finally:
        writer.close()
        await writer.wait_closed()
    return done


async def load(port: int, connections: int, size: int, seconds: float, max_requests: int) -> dict[str, Any]:
    lat: list[float] = []
    errors: list[str] = []
    deadline = time.monotonic() + seconds
    t0 = time.monotonic()
    counts = await asyncio.gather(
        *(_client(port, size, deadline, max_requests, lat, errors) for _ in range(connections))
    )
    elapsed = time.monotonic() - t0
    lat.sort()
    return {
        "requests": sum(counts),
        "rps": sum(counts) / elapsed,
        "p50_ms": 1000 * statistics.median(lat) if lat else float("nan"),
        "p99_ms": 1000 * lat[int(0.99 * (len(lat) - 1))] if lat else float("nan"),
        "errors": errors,
    }


def run_mode(mode: str, connections: int, size: int, seconds: float, max_requests: int,
             meter: bool = False) -> dict[str, Any]:
    """Start the server in a child process, load it, collect both sides' numbers.
    With ``meter`` the server runs under tracemalloc (slower: use that run
    for the allocation figure only)."""
    env = dict(os.environ, GOCON_EXAMPLE_METER="1" if meter else "0")
    proc = subprocess.Popen(
        [sys.executable, __file__, "serve", "--mode", mode],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
    )
    try:
        assert proc.stdout is not None and proc.stdin is not None
        port = json.loads(proc.stdout.readline())["port"]
        client = asyncio.run(load(port, connections, size, seconds, max_requests))
        proc.stdin.close()
        server = json.loads(proc.stdout.readline())
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    per_req = server["alloc_bytes"] / max(1, server["requests"])
    server["served"] = server.pop("requests")  # the client's count stays under "requests"
    return {"mode": mode, **client, **server, "alloc_per_request": per_req}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", nargs="?", default="load", choices=["load", "serve"])
    parser.add_argument("--mode", choices=["pooled", "plain"], default="pooled")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--size", type=int, default=16 * 1024, help="payload bytes per request")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--max-requests", type=int, default=1_000_000, help="per connection")
    args = parser.parse_args(argv)
    if args.command == "serve":
        asyncio.run(serve(args.mode))
        return 0
    rows = []
    for m in ("plain", "pooled"):
        speed = run_mode(m, args.connections, args.size, args.seconds, args.max_requests)
        alloc = run_mode(m, args.connections, args.size, min(args.seconds, 1.0), args.max_requests, meter=True)
        speed["alloc_per_request"] = alloc["alloc_per_request"]
        speed["errors"] += alloc["errors"]
        rows.append(speed)
    print(f"{'mode':8} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'peak RSS MiB':>13} {'alloc B/req':>12} errors")
    for r in rows:
        print(f"{r['mode']:8} {r['rps']:9.0f} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} {r['peak_rss_mib']:13.1f} "
              f"{r['alloc_per_request']:12.0f} {len(r['errors'])}")
    plain, pooled = rows
    print(f"pooled vs plain: {pooled['rps'] / plain['rps']:.2f}x requests/s, "
          f"{100 * (1 - pooled['alloc_per_request'] / max(1.0, plain['alloc_per_request'])):.0f}% fewer bytes allocated per request")
    return 1 if any(r["errors"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
