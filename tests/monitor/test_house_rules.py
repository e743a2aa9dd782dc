"""House rule for the command modules: no file over ~400 lines, no function over ~80 (docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import monitor.commands

COMMANDS_DIR = Path(monitor.commands.__file__).parent
MODULES = sorted(COMMANDS_DIR.glob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_a_command_module_stays_readable(path: Path) -> None:
    """audit7: monitor/commands/monitor.py had grown to 446 lines; its start-up checks are in _monitor_checks.py."""
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 400, f"{path.name}: {len(text.splitlines())} lines"
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno - node.lineno + 1 > 80
    ]
    assert not long, f"{path.name}: {', '.join(long)}"
