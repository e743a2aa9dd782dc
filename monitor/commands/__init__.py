"""One module per ``crampwatch`` subcommand. Each exports ``add_parser(subparsers)`` and ``run(args) -> int``.

``crampwatch --help`` lists the commands from :data:`HELP` without importing any command module (start-up stays
fast); only the module of the command given on the command line is imported. Keep each entry equal to the
``help=`` its module passes to ``add_parser`` (a test checks it), and keep heavy imports (the pipeline, SciPy,
aiomqtt, the embedded broker) inside the functions that run the command.
"""

#: Subcommands in the order ``crampwatch --help`` lists them.
COMMANDS = (
    "demo",
    "monitor",
    "simulate",
    "replay",
    "analyze",
    "evaluate",
    "watch",
    "sessions",
    "report",
    "gateway",
    "config",
)

#: One line per subcommand for ``crampwatch --help``.
HELP = {
    "demo": "embedded broker + simulated squad + monitor + dashboard",
    "monitor": "run the monitoring service on a broker",
    "simulate": "publish simulated runs (runner model with known cramp onsets)",
    "replay": "publish recorded runs (FIT, TCX, GPX, CSV) to a broker",
    "analyze": "run a recorded run (FIT, TCX, GPX, CSV) through the pipeline offline",
    "evaluate": "warning quality on simulated runners with known cramp onsets",
    "watch": "show the squad's live cramp-risk table in the terminal",
    "gateway": "bring sensors and other apps onto the broker (ble: strap + foot pod; bridge: OwnTracks, ESPHome…)",
    "config": "check a configuration file and show the effective settings",
    "sessions": "list the sessions in the session store (athlete, start, duration, distance, peak risk, alerts)",
    "report": "the post-run report (HTML with charts) of a stored session or a recorded file",
}
