"""Every ```python block in docs/ runs, so the guides cannot rot."""

from __future__ import annotations

import pathlib
import re

import pytest

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)

CASES = [
    pytest.param(code, id=f"{path.name}:{text[: m.start()].count(chr(10)) + 1}")
    for path in sorted(DOCS.glob("**/*.md"))
    for text in [path.read_text(encoding="utf-8")]
    for m in BLOCK.finditer(text)
    for code in [m.group(1)]
]


@pytest.mark.parametrize("code", CASES)
def test_doc_block_runs(code):
    exec(compile(code, "<doc>", "exec"), {"__name__": "__doc_example__"})
