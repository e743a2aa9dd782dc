"""Lazy start-up: ``crampwatch --help`` and usage errors import no command, no NumPy/SciPy, no MQTT client.

Checked on ``sys.modules`` in a fresh interpreter (not timed: speed is in ``benchmarks/``)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest

from monitor.commands import COMMANDS, HELP

_PROBE = """
import json, sys
from monitor.cli import main
code = None
try:
    code = main({argv!r})
except SystemExit as exc:
    code = exc.code
heavy = sorted(m for m in ("numpy", "scipy", "aiomqtt", "paho", "amqtt", "aiohttp", "monitor.core.pipeline",
                           "processors.engine", "monitor.mqtt.service") if m in sys.modules)
print(json.dumps({{"code": code, "heavy": heavy}}), file=sys.stderr)
"""


def _probe(argv: list[str]) -> tuple[int, list[str], str]:
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE.format(argv=argv)], capture_output=True, text=True, timeout=60, check=False
    )
    *lines, last = proc.stderr.strip().splitlines()
    result = json.loads(last)
    return int(result["code"]), list(result["heavy"]), proc.stdout + "\n".join(lines)


def test_top_level_help_imports_nothing_heavy() -> None:
    code, heavy, out = _probe(["--help"])
    assert code == 0
    assert heavy == []
    for name in COMMANDS:  # every command is still listed with its one-line help
        assert name in out


@pytest.mark.parametrize("argv", [[], ["no-such-command"]])
def test_top_level_usage_errors_import_nothing_heavy(argv: list[str]) -> None:
    code, heavy, out = _probe(argv)
    assert code == 2
    assert heavy == []
    assert "crampwatch: error:" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["analyze", "--bogus"],
        ["monitor", "--bogus"],
        ["demo", "--duration", "-1"],
        ["replay", "--help"],
        ["gateway", "bridge", "--help"],
        ["gateway", "bridge", "--layout", "no-such-layout", "--squad", "club"],
    ],
)
def test_command_usage_does_not_load_the_pipeline(argv: list[str]) -> None:
    code, heavy, _ = _probe(argv)
    assert code in (0, 2)
    assert not {"scipy", "monitor.core.pipeline", "processors.engine", "monitor.mqtt.service", "amqtt"} & set(heavy)


def test_help_table_matches_each_command() -> None:
    """The list ``--help`` shows (HELP) says the same as each command's own sub-parser."""
    from monitor.cli import build_parser

    parser, modules = build_parser()
    assert set(modules) == set(COMMANDS) == set(HELP)
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    shown = {choice.dest: choice.help for choice in sub._choices_actions}
    assert shown == HELP
