"""One module per ``crampwatch`` subcommand. Each exports ``add_parser(subparsers)`` and ``run(args) -> int``."""

#: Subcommands in the order ``crampwatch --help`` lists them.
COMMANDS = ("demo", "monitor", "simulate", "replay", "analyze", "evaluate", "watch")
