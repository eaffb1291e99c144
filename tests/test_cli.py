"""python -m gocon: status, and the bench command's options and usage errors."""

from __future__ import annotations

import importlib.util
import json

import pytest

from gocon.__main__ import main


def test_status(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "native core: loaded" in out and "pool shards" in out


def test_bench_runs_a_group_with_ratios_and_json(tmp_path, capsys):
    path = tmp_path / "bench.json"
    assert main(["bench", "--quick", "--only", "pool get+put", "--json", str(path)]) == 0
    out = capsys.readouterr().out
    assert "gocon.Pool" in out and "x vs list.append(list.pop())" in out
    rows = json.loads(path.read_text())
    base = [r for r in rows if r["baseline"] and r["group"] == "pool get+put"][0]
    assert base["ratio"] == pytest.approx(1.0)
    assert all(r["ns_per_op"] > 0 for r in rows)


def test_bench_unknown_group_is_a_usage_error(capsys):
    assert main(["bench", "--only", "no such group"]) == 2
    assert "no scenario group matches" in capsys.readouterr().err


def test_bench_unknown_option_exits_2_without_a_traceback(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["bench", "--frobnicate"])
    assert exc.value.code == 2
    assert "unrecognized arguments" in capsys.readouterr().err


def test_bench_plot(tmp_path, capsys):
    png = tmp_path / "ratios.png"
    code = main(["bench", "--quick", "--only", "pool get+put", "--plot", str(png)])
    if importlib.util.find_spec("matplotlib") is None:
        assert code == 2 and "needs matplotlib" in capsys.readouterr().err
    else:
        assert code == 0 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_rich_tables_on_a_terminal(monkeypatch):
    pytest.importorskip("rich")
    import io

    from rich.console import Console

    from gocon._bench import report

    buf = io.StringIO()
    monkeypatch.setattr(report, "rich_console", lambda stderr=False: Console(file=buf, force_terminal=True, width=120))
    rows = [
        report.Row("g", "base", 2e-6, True),
        report.Row("g", "gocon.X", 1e-6, False),
        report.Row("g", "peer", None, False, "peer not installed"),
    ]
    report.print_report(rows)
    text = buf.getvalue()
    assert "gocon.X" in text and "0.500x" in text and "peer not installed" in text
    assert "\x1b[" in text  # styled, not the plain format


def test_plain_flag_keeps_plain_text(capsys):
    assert main(["bench", "--quick", "--plain", "--only", "pool get+put"]) == 0
    assert "x vs list.append(list.pop())" in capsys.readouterr().out


def test_bench_markdown(tmp_path, capsys):
    md = tmp_path / "bench.md"
    assert main(["bench", "--quick", "--plain", "--only", "pool get+put", "--markdown", str(md)]) == 0
    lines = md.read_text().splitlines()
    assert lines[0].startswith("| group | scenario | ns/op")
    assert any("**gocon.Pool**" in line and line.endswith("x |") for line in lines)
    assert any("baseline" in line for line in lines[2:])
