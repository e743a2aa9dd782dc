"""``crampwatch`` command line. Exit codes: 0 success, 2 bad usage or unreadable input (one line on stderr, no
traceback), 1 anything else."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import NoReturn

from monitor.commands import COMMANDS
from monitor.errors import CrampwatchError, UsageError


class _Parser(argparse.ArgumentParser):
    """argparse that prints one line (not the usage block) on a bad flag and exits 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"crampwatch: error: {message} (see crampwatch {self.prog.split()[-1]} --help)\n")


def _modules() -> dict[str, ModuleType]:
    out: dict[str, ModuleType] = {}
    for name in COMMANDS:
        try:
            out[name] = importlib.import_module(f"monitor.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"monitor.commands.{name}":
                raise
    return out


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, ModuleType]]:
    parser = _Parser(prog="crampwatch", description="Live cramp-risk monitoring for runners over MQTT.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    modules = _modules()
    for module in modules.values():
        module.add_parser(sub)
    return parser, modules


def main(argv: Sequence[str] | None = None) -> int:
    parser, modules = build_parser()
    args = parser.parse_args(argv)
    try:
        code = modules[args.command].run(args)
    except UsageError as exc:
        print(f"crampwatch: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `crampwatch analyze run.fit | head`
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except CrampwatchError as exc:
        print(f"crampwatch: {exc}", file=sys.stderr)
        return 1
    return int(code)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
