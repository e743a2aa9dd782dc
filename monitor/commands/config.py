"""``crampwatch config --check FILE``: print the monitor's effective settings (the file plus ``CRAMPWATCH_*``
environment variables over the defaults), each with where it came from; secrets masked."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "config",
        help="check a configuration file and show the effective settings",
        description="Read a TOML configuration file as 'crampwatch monitor --config FILE' would, apply the "
        "CRAMPWATCH_* environment variables over it, and print every effective setting with its source "
        "(env, file, default). Passwords and tokens are masked. Exit code 2 on an unknown setting or a bad "
        "value. Precedence: flags > environment > file > defaults (docs/operations.md).",
    )
    p.add_argument("--check", metavar="FILE", required=True, help="the TOML file to check")


def run(args: argparse.Namespace) -> int:
    from monitor.cli import build_parser
    from monitor.commands._monitor_checks import apply_settings, check_settings
    from monitor.config import describe, read_toml

    read_toml(args.check, flag="--check")  # an unreadable file is named as given: '--check FILE: no such file'
    text = describe(args.check)
    argv = ["monitor", "--config", args.check]
    settings = build_parser(argv)[0].parse_args(argv)  # the monitor's own parser, as `crampwatch monitor` builds it
    apply_settings(settings)  # the values as the monitor reads them: HOST:PORT, broker URL, prefix, ...
    check_settings(settings)
    print(text)
    return 0
