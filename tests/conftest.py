from __future__ import annotations

import gc

import pytest

from gocon import _victim


@pytest.fixture(autouse=True)
def _restore_flip_interval():
    """Tests may change the victim policy's rate limit; put it back."""
    before = _victim.min_flip_interval()
    yield
    _victim.set_min_flip_interval(before)


@pytest.fixture
def no_gc():
    """Keep automatic collections (and so automatic flips) out of a test."""
    was = gc.isenabled()
    gc.disable()
    yield
    if was:
        gc.enable()
