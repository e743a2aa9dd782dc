"""Pluggable delivery: every sink receives every alert (and, if it wants, every status).

:func:`make_sink` builds a sink from a short spec, as given on a command line:

========================  ======================================================
spec                      sink
========================  ======================================================
``console``               :class:`~alerts.sinks.console.ConsoleSink` on stdout
``console:stderr``        the same on stderr (``console:detail`` adds the detail)
``memory``                :class:`~alerts.sinks.memory.MemorySink`
``webhook:URL``           :class:`~alerts.sinks.webhook.WebhookSink` POSTing to URL
========================  ======================================================

More kinds can be plugged in with :func:`register_sink`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from alerts.sinks.base import Sink
from alerts.sinks.console import ConsoleSink
from alerts.sinks.memory import MemorySink
from alerts.sinks.webhook import WebhookSink, WebhookStats

__all__ = [
    "ConsoleSink",
    "MemorySink",
    "Sink",
    "WebhookSink",
    "WebhookStats",
    "make_sink",
    "register_sink",
    "sink_kinds",
]

#: A factory gets the part of the spec after the first ``:`` ("" when there is none).
SinkFactory = Callable[[str], Sink]


def _console(arg: str) -> Sink:
    options = {a for a in arg.split(",") if a}
    unknown = options - {"stdout", "stderr", "detail"}
    if unknown:
        raise ValueError(f"console sink: unknown option(s) {', '.join(sorted(unknown))}")
    return ConsoleSink(sys.stderr if "stderr" in options else None, detail="detail" in options)


def _memory(arg: str) -> Sink:
    if arg:
        raise ValueError("memory sink takes no argument")
    return MemorySink()


def _webhook(arg: str) -> Sink:
    if not arg:
        raise ValueError("webhook sink needs a URL: webhook:https://…")
    return WebhookSink(arg)


_FACTORIES: dict[str, SinkFactory] = {"console": _console, "memory": _memory, "webhook": _webhook}


def register_sink(kind: str, factory: SinkFactory) -> None:
    """Make ``make_sink("kind:…")`` call ``factory("…")``."""
    if not kind or ":" in kind:
        raise ValueError(f"bad sink kind {kind!r}")
    _FACTORIES[kind] = factory


def sink_kinds() -> list[str]:
    return sorted(_FACTORIES)


def make_sink(spec: str) -> Sink:
    """Build a sink from ``kind`` or ``kind:argument``; :class:`ValueError` with a clear message otherwise.

    >>> make_sink("console").name
    'console'
    >>> make_sink("webhook:https://example.org/hook").url
    'https://example.org/hook'
    >>> make_sink("pager:123")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: unknown sink 'pager' (known: console, memory, ...webhook)
    """
    kind, _, arg = spec.strip().partition(":")
    factory = _FACTORIES.get(kind)
    if factory is None:
        raise ValueError(f"unknown sink {kind!r} (known: {', '.join(sink_kinds())})")
    return factory(arg)
