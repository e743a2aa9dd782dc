"""``crampwatch`` command line. Exit codes: 0 success, 2 bad usage or unreadable input (one line on stderr, no
traceback), 1 anything else."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import NoReturn

from monitor.commands import COMMANDS, HELP
from monitor.errors import CrampwatchError, UsageError


class _Parser(argparse.ArgumentParser):
    """argparse that prints one line (not the usage block) on a bad flag and exits 2."""

    commands: Mapping[str, argparse.ArgumentParser]  # the sub-parsers by command name

    def error(self, message: str) -> NoReturn:
        words = self.prog.split()
        command = " ".join(["crampwatch", *words[1:]])  # "crampwatch" or "crampwatch demo"
        self.exit(2, f"crampwatch: error: {message} (see {command} --help)\n")


def version() -> str:
    """The installed distribution's version (the source tree's when it is not installed)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("crampwatch")
    except PackageNotFoundError:  # pragma: no cover - running from an uninstalled checkout
        return "0+unknown"


def _chosen(argv: Sequence[str]) -> str | None:
    """The subcommand named on the command line (the first word that is not an option), if it is one."""
    for arg in argv:
        if arg == "--":
            return None
        if not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"monitor.commands.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"monitor.commands.{name}":
            raise
        return None


def build_parser(argv: Sequence[str] | None = None) -> tuple[argparse.ArgumentParser, dict[str, ModuleType]]:
    """The parser and the imported command modules. Only the command named in ``argv`` is imported and gets its
    full sub-parser; the others are listed from :data:`monitor.commands.HELP` (so ``crampwatch --help`` imports
    no command, no NumPy, no SciPy, no MQTT client). ``argv=None``: every command (for docs and tests)."""
    parser = _Parser(prog="crampwatch", description="Live cramp-risk monitoring for runners over MQTT.")
    parser.add_argument("--version", action="version", version=f"crampwatch {version()}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    parser.commands = sub.choices
    chosen = _chosen(argv) if argv is not None else None
    modules: dict[str, ModuleType] = {}
    for name in COMMANDS:
        module = _module(name) if argv is None or name == chosen else None
        if module is not None:
            module.add_parser(sub)
            modules[name] = module
        elif argv is not None and name != chosen:
            sub.add_parser(name, help=HELP.get(name), add_help=False)
    return parser, modules


def _innermost(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser:
    """The sub-command's own parser (``gateway bridge``, not ``gateway``) when the command has sub-commands."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return _innermost(action.choices.get(getattr(args, action.dest, None) or "", parser), args)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser, modules = build_parser(argv)
    args, extra = parser.parse_known_args(argv)
    if extra:  # report an unknown flag against the command it was given to, not against "crampwatch"
        commands: Mapping[str, argparse.ArgumentParser] = getattr(parser, "commands", {})
        _innermost(commands.get(args.command) or parser, args).error(f"unrecognized arguments: {' '.join(extra)}")
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
