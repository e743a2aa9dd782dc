"""Flags and helpers shared by subcommands."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import signal
import unicodedata
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from monitor.core.wire import DEFAULT_PREFIX, MAX_BATCH, Topics
from monitor.errors import UsageError
from simulators.pacing import DEFAULT_TIMEOUT_S, DEFAULT_WINDOW, Follow

if TYPE_CHECKING:  # aiomqtt loads only when a command connects: fast --help / usage errors
    from monitor.mqtt.broker import BrokerURL


def add_broker_flags(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    parser.add_argument(
        "--broker",
        default=None,
        help="mqtt://[user[:password]@]host[:port] or mqtts://… (env CRAMPWATCH_BROKER)"
        + ("" if required else "; none = embedded broker"),
    )
    parser.add_argument("--ca-file", help="CA bundle for mqtts:// brokers with a private CA")
    parser.add_argument("--cert-file", help="client certificate (mqtts://)")
    parser.add_argument("--key-file", help="client key (mqtts://)")
    parser.add_argument("--prefix", help=f"topic prefix (default {DEFAULT_PREFIX})")


#: Settings whose flag is not their name with dashes.
_FLAG_OF: Final = {"http_allow_hosts": "http_allow_host"}


def given_as(args: argparse.Namespace, name: str, value: object) -> str:
    """A setting's value named as the user gave it, for messages: ``--ca-file X``, ``CRAMPWATCH_CA_FILE=X`` or
    ``FILE: ca_file = X`` (audit3: a bad value from the environment or the file was named as a flag).

    >>> import argparse
    >>> a = argparse.Namespace(origins={"ca_file": "env", "webhook": "file"}, config="cw.toml")
    >>> given_as(a, "ca_file", "/x.pem"), given_as(a, "webhook", "'ftp://h'"), given_as(a, "http", "x")
    ('CRAMPWATCH_CA_FILE=/x.pem', "cw.toml: webhook = 'ftp://h'", '--http x')
    """
    origin = getattr(args, "origins", {}).get(name, "flag")
    if origin == "env":
        return f"CRAMPWATCH_{name.upper()}={value}"
    if origin == "file":
        return f"{args.config}: {name} = {value}"
    return f"--{_FLAG_OF.get(name, name).replace('_', '-')} {value}"


def broker_from_args(args: argparse.Namespace, *, resolve: bool = False) -> BrokerURL:
    """The broker of ``--broker`` and the TLS flags. ``resolve``: also check that the host name resolves (one-shot
    commands: an unknown host is a usage error; the service instead keeps retrying and logs why)."""
    if not args.broker:
        args.broker = os.environ.get("CRAMPWATCH_BROKER") or None
    if not args.broker:
        raise UsageError("--broker URL is required (or set CRAMPWATCH_BROKER)")
    for name in ("ca_file", "cert_file", "key_file"):
        path = getattr(args, name, None)
        if path and not os.path.isfile(path):
            raise UsageError(f"{given_as(args, name, path)}: no such file")
    from monitor.mqtt.broker import BrokerURL

    broker = BrokerURL.parse(args.broker, ca_file=args.ca_file, cert_file=args.cert_file, key_file=args.key_file)
    broker.tls_context()  # an unreadable CA bundle or client certificate is a usage error now, not a traceback later
    if resolve:
        broker.resolve()
    return broker


def topics_from_args(args: argparse.Namespace) -> Topics:
    try:
        return Topics(args.prefix or DEFAULT_PREFIX)
    except ValueError as exc:  # named where it was given (audit6: a file's prefix read as if typed nowhere)
        what = "bad topic prefix (levels without + or #, no leading or trailing /)"
        raise UsageError(f"{given_as(args, 'prefix', repr(args.prefix))}: {what}") from exc


def add_publish_flags(parser: argparse.ArgumentParser) -> None:
    """Pacing and message-shape flags of the commands that publish runs (``replay``, ``simulate``)."""
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="1 = real time (default), 60 = x60, 0 = as fast as the monitor keeps up: paced by its statuses, at "
        "most --pace-window messages ahead of what it has handled (with no monitor online on the broker: as fast as "
        "the broker takes it, and a note says so); a monitor online that shows no progress for --pace-timeout "
        "seconds stops the command with one line on stderr, exit code 1",
    )
    parser.add_argument(
        "--unpaced",
        action="store_true",
        help="with --speed 0: publish as fast as the broker acknowledges, without waiting for the monitor (a broker "
        "that does not queue that much for the monitor drops messages: docs/simulators.md)",
    )
    parser.add_argument(
        "--pace-window",
        type=int,
        default=DEFAULT_WINDOW,
        metavar="N",
        help=f"with --speed 0: messages allowed ahead of the monitor (default {DEFAULT_WINDOW}; keep it below the "
        "broker's max_queued_messages, 1000 on a stock Mosquitto)",
    )
    parser.add_argument(
        "--pace-timeout",
        type=positive_float,
        default=DEFAULT_TIMEOUT_S,
        metavar="S",
        help=f"with --speed 0: seconds without progress from the monitor before stopping (default "
        f"{DEFAULT_TIMEOUT_S:g})",
    )
    parser.add_argument(
        "--mode", choices=["frame", "samples"], default="frame", help="frame topic or per-stream topics"
    )
    parser.add_argument("--batch", type=int, default=1, help=f"frames (or samples) per message, 1-{MAX_BATCH}")
    parser.add_argument("--no-session", action="store_true", help="do not publish session start/stop events")


def check_publish_args(args: argparse.Namespace) -> None:
    """Validate the flags of :func:`add_publish_flags`."""
    if not (math.isfinite(args.speed) and args.speed >= 0):
        raise UsageError("--speed must be a number >= 0 (0 = as fast as possible)")
    if not 1 <= args.batch <= MAX_BATCH:
        raise UsageError(f"--batch must be 1-{MAX_BATCH}")
    if args.pace_window < 1:
        raise UsageError("--pace-window must be at least 1")


def follow_from_args(args: argparse.Namespace) -> Follow | None:
    """How ``--speed 0`` is paced: by the monitor's progress, unless ``--unpaced`` (other speeds: the clock only)."""
    if args.speed != 0 or args.unpaced:
        return None
    return Follow(window=args.pace_window, timeout_s=args.pace_timeout)


#: The live monitor's bound on event times ahead of its clock (``Router(max_future_s=...)``'s default): replay
#: --now and simulate --start keep within it.
MONITOR_MAX_FUTURE_S: Final = 300.0
#: Mosquitto's default ``max_queued_messages``: what a stock broker holds for a subscriber that is behind.
STOCK_QUEUE: Final = 1000


def publish_note(
    args: argparse.Namespace, broker: object, prefix: str, unfollowed: str | None, messages: int
) -> str | None:
    """The note a ``--speed 0`` publish ends with, if any: no monitor was online to pace by, or ``--unpaced`` sent
    more than a stock broker queues."""
    if unfollowed is not None:
        return unfollowed_note(broker, prefix, unfollowed)
    return fast_publish_note(args.speed, messages) if args.unpaced else None


def unfollowed_note(broker: object, prefix: str, said: str | None) -> str | None:
    """The note after a ``--speed 0`` publish that found no monitor online to pace by (``said``: what the
    monitor's presence topic said), so it published unpaced.

    >>> unfollowed_note("mqtt://b:1883", "crampwatch/v1", "not announced")[:72]
    'note: no monitor online on mqtt://b:1883 (crampwatch/v1/_monitor/online:'
    >>> unfollowed_note("b", "p", None) is None
    True
    """
    if said is None:
        return None
    return (
        f"note: no monitor online on {broker} ({prefix}/_monitor/online: {said}): published as fast as the broker "
        "took it, not paced by a monitor (start `crampwatch monitor` first to have every message reach it)"
    )


def fast_publish_note(speed: float, messages: int) -> str | None:
    """The note after a ``--speed 0 --unpaced`` publish of more messages than a stock broker queues for the monitor:
    it drops the rest, counted nowhere the publisher or the monitor sees (fenix2-run-47min.fit, 2,811 messages: the
    monitor got 2,407; its session said 8.05 km of 9.0), so two runs of the same replay gave different sessions.

    >>> fast_publish_note(60, 5000), fast_publish_note(0, 47)
    (None, None)
    >>> fast_publish_note(0, 2811)[:61]
    'note: 2811 messages as fast as the broker took them; one that'
    """
    if speed != 0 or messages <= STOCK_QUEUE:
        return None
    return (
        f"note: {messages} messages as fast as the broker took them; one that queues fewer than that for the "
        f"monitor (Mosquitto's default max_queued_messages is {STOCK_QUEUE}) drops the rest unseen "
        "(docs/deploy.md): leave --unpaced out (paced by the monitor), pace it (--speed 60) or batch it (--batch 60)"
    )


def columns(text: str) -> int:
    """Terminal columns of ``text``: East Asian wide characters and most emoji take two, combining marks and
    joiners none (the table padded by characters: a row with "山田 🏃" stood out of line).

    >>> columns("Ann"), columns("山田"), columns("Zoë"), columns("e\u0301")
    (3, 4, 3, 1)
    """
    width = 0
    for c in text:
        if unicodedata.combining(c) or unicodedata.category(c) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1
    return width


def fit(text: str, most: int) -> str:
    """``text`` cut to at most ``most`` columns, with "…" when cut; control characters (escape codes, line
    breaks: a name stored before the wire refused them) shown as "�", never sent to the terminal (audit6).

    >>> fit("Maximiliana Alexandrovna", 12), fit("Ann", 12), fit("山田太郎さん", 7), fit("Ev\\x1b[2J\\nX", 12)
    ('Maximiliana…', 'Ann', '山田太…', 'Ev�[2J�X')
    """
    if any(unicodedata.category(c) == "Cc" for c in text):
        text = "".join("\ufffd" if unicodedata.category(c) == "Cc" else c for c in text)
    if columns(text) <= most:
        return text
    used = 0
    for i, c in enumerate(text):
        used += columns(c)
        if used > most - 1:
            return text[:i] + "…"
    return text + "…"  # not reached: the text is wider than ``most``


def pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(0, width - columns(text))
    return gap + text if right else text + gap


def plural(n: int, word: str, words: str | None = None) -> str:
    """``1 athlete``, ``2 athletes``.

    >>> plural(1, "athlete"), plural(3, "run"), plural(0, "ply", "plies")
    ('1 athlete', '3 runs', '0 plies')
    """
    return f"{n} {word if n == 1 else (words or word + 's')}"


def host_port(value: str) -> tuple[str, int]:
    """Parse ``HOST:PORT`` (argparse type); an IPv6 address in brackets, as in a URL, loses them (the brackets
    went to the resolver: "cannot serve HTTP on [::1]:8080: Name or service not known").

    >>> host_port("0.0.0.0:8080"), host_port(":8080"), host_port("[::1]:8080"), host_port("[::]:0")
    (('0.0.0.0', 8080), ('127.0.0.1', 8080), ('::1', 8080), ('::', 0))
    """
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {value!r}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host or "127.0.0.1", int(port)


def positive_float(value: str) -> float:
    try:
        x = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {value!r}") from None
    if not x > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {value!r}")
    return x


def setup_logging(level: str, fmt: str = "text") -> None:
    """Logging for a command: readable text (default) or JSON lines (:mod:`monitor.logs`)."""
    from monitor.logs import setup

    setup(level, "json" if fmt == "json" else "text")


async def cancel_and_wait(task: asyncio.Task[Any], *, every_s: float = 0.5) -> None:
    """Cancel ``task`` and wait until it is done, cancelling again if it swallowed the cancellation (on Python
    3.11, ``asyncio.wait_for`` inside aiomqtt can lose a cancel that races with a completed publish, gh-86296)."""
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=every_s)
    if not task.cancelled():
        with contextlib.suppress(Exception):
            task.result()  # retrieved: no "exception was never retrieved" warning


def install_stop_handlers(stop: Callable[[], None]) -> None:
    """SIGINT/SIGTERM call ``stop`` (clean shutdown instead of a traceback)."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop)
