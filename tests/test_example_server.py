"""The pooled echo server example: both modes answer every request byte for byte."""

from __future__ import annotations

import importlib.util
import pathlib

import pytest

EXAMPLE = pathlib.Path(__file__).resolve().parent.parent / "examples" / "pooled_server.py"


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("pooled_server", EXAMPLE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.timeout(120)
@pytest.mark.parametrize("mode", ["plain", "pooled"])
@pytest.mark.parametrize("size", [100, 70_000])  # 70 KB frames outgrow a 64 KiB block
def test_every_reply_matches(example, mode, size):
    r = example.run_mode(mode, connections=4, size=size, seconds=1.0, max_requests=200)
    assert r["errors"] == []
    assert 0 < r["requests"] <= 4 * 200  # bounded by count and by the 1 s deadline
    assert r["served"] == r["requests"]  # the server answered exactly what was sent
    assert r["outstanding_buffers"] == 0  # every connection returned its block


@pytest.mark.timeout(120)
def test_pooled_mode_allocates_far_less_per_request(example):
    plain = example.run_mode("plain", 4, 16_384, 1.0, 300, meter=True)
    pooled = example.run_mode("pooled", 4, 16_384, 1.0, 300, meter=True)
    assert pooled["alloc_per_request"] < 0.1 * plain["alloc_per_request"]
