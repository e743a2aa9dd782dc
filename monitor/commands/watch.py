"""``crampwatch watch --broker URL [--squad S] [--once] [--prefix P]``: the squad table, live, in the terminal.

Subscribes to the monitor's ``status`` (retained, so the table fills at once), ``alert`` and ``ack`` topics and
redraws one row per runner, riskiest first, at most twice a second (plain ANSI: clear screen, print). With
``--once`` it prints a single table as soon as the first statuses have arrived (the retained ones come in a
burst; the table is printed when the burst is over) and exits: 0, or 1 if no status came within ``--timeout``.

A runner's word is ``cramp`` while their status reports cramp signs (``acute_cramp``), as on the dashboard, and
after a cramp alert that ``watch`` received, until it is acknowledged. Alerts are not retained on the broker, so a
cramp alert sent before ``watch`` started is not known to it: once the signs have ended, that runner shows the
monitor's level where the dashboard (which keeps the open alerts) still shows ``cramp`` (see :data:`LIMITS`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

import aiomqtt

from monitor.coach.live import LiveView, valid_id
from monitor.coach.words import WORDS, display_level, reason_text, top_reason
from monitor.commands.common import (
    add_broker_flags,
    broker_from_args,
    fit,
    install_stop_handlers,
    pad,
    positive_float,
    topics_from_args,
)
from monitor.core.wire import Topics
from monitor.errors import BrokerError, CrampwatchError, UsageError
from monitor.mqtt.broker import BrokerURL

#: ANSI styles of the level cell: colour AND the word, so it also reads without colour.
STYLE = {"low": "32", "elevated": "1;33", "high": "1;38;5;208", "critical": "1;97;41", "cramp": "1;97;45"}
SIGNAL_STYLE = {"stale": "33", "lost": "1;31"}
#: --once: the table is printed when no status came for this long after the first one (or after BURST_MAX_S).
QUIET_S = 0.3
BURST_MAX_S = 3.0
REDRAW_S = 0.5
MAX_PAYLOAD = 256 * 1024
#: What ``watch`` cannot know (its ``--help`` ends with this).
LIMITS = (
    "CRAMP is shown while a runner's status reports cramp signs, and after a cramp alert received while watch runs "
    "(until acknowledged). Alerts are not retained on the broker: watch does not know alerts sent before it "
    "started, so a cramp whose signs ended before then shows the monitor's level (the dashboard keeps the open "
    "alerts and shows CRAMP until the coach acknowledges)."
)


def add_parser(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "watch",
        help="show the squad's live cramp-risk table in the terminal",
        description="Subscribe to the monitor's statuses and alerts on the broker and show the squad's live "
        "table (riskiest first) and new alerts in the terminal.",
        epilog=LIMITS,
    )
    add_broker_flags(p)
    p.add_argument("--squad", help="only this squad (default: every squad)")
    p.add_argument("--once", action="store_true", help="print one table once the first statuses arrived, then exit")
    p.add_argument(
        "--timeout",
        type=positive_float,
        default=30.0,
        metavar="S",
        help="with --once: exit 1 if no status arrives within S seconds (default 30)",
    )
    p.add_argument("--color", choices=["auto", "always", "never"], default="auto", help="ANSI colours")


def run(args: argparse.Namespace) -> int:
    broker = broker_from_args(args)
    topics = topics_from_args(args)
    if args.squad is not None and not valid_id(args.squad):
        raise UsageError(f"--squad {args.squad[:70]!r}: 1-64 characters from [A-Za-z0-9_-]")
    color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty() and not os.environ.get("NO_COLOR"))
    watcher = Watcher(broker, topics, squad=args.squad, out=sys.stdout, color=color, clear_screen=sys.stdout.isatty())
    return asyncio.run(watcher.main(once=args.once, timeout=args.timeout))


# ---- the table ----------------------------------------------------------------------------------------------------
def _fmt(value: Any, digits: int = 0) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "-"
    return f"{value:.{digits}f}"


def fmt_pace(value: Any, gait: Any = None) -> str:
    """m:ss per km; ``stop`` above 1200 s/km or, with no pace, when the gait is ``stopped`` (the monitor's pace is
    null for a runner standing still); ``-`` when unknown.

    >>> fmt_pace(301.4), fmt_pace(1500), fmt_pace(None), fmt_pace(None, "stopped")
    ('5:01', 'stop', '-', 'stop')
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "stop" if gait == "stopped" else "-"
    if value > 1200:
        return "stop"
    total = round(value)
    return f"{total // 60}:{total % 60:02d}"


def _style(text: str, code: str | None, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color and code else text


def render_table(
    tiles: Sequence[Mapping[str, Any]],
    *,
    squad: str | None = None,
    color: bool = False,
    width: int = 120,
    clock: str | None = None,
) -> str:
    """The squad table: a header line, then one row per runner in the given (riskiest-first) order.

    >>> row = {"squad": "club", "athlete": "sam", "name": "Sam", "level": "high", "risk": 0.71, "hr": 171.2,
    ...        "pace": 301, "cadence": 166, "temp": 29.6, "signal": "ok", "top_reason": "heat",
    ...        "session_state": "live", "last_alert": {"message": "Drink now", "acked": True}}
    >>> done = {"squad": "club", "athlete": "ann", "level": "low", "risk": 0.1, "session_state": "finished"}
    >>> print(render_table([row, done], squad="club", width=110, clock="12:00:00"))
    crampwatch · squad club · 2 runners (1 high, 1 finished) · 12:00:00
    LEVEL     RISK NAME                HR  PACE CAD TEMP SESSION  SIGNAL REASON                       LAST ALERT
    HIGH       71% Sam                171  5:01 166   30 live     ok     Heat (30 °C)                 ✓ Drink now
    LOW        10% ann                  -     -   -    - finished ok     -                            -
    """
    words = [_word(t) for t in tiles if t.get("session_state") != "finished"]
    counts = [f"{words.count(w)} {w}" for w in reversed(WORDS) if w in words]
    finished = sum(1 for t in tiles if t.get("session_state") == "finished")
    counts += [f"{finished} finished"] if finished else []
    runners = f"{len(tiles)} runner{'s' if len(tiles) != 1 else ''}"
    head = f"crampwatch · {'squad ' + squad if squad else 'all squads'} · {runners}"
    head += f" ({', '.join(counts)})" if counts else ""
    head += f" · {clock}" if clock else ""
    lines = [fit(head, width)]
    show_squad = squad is None
    cols = f"{'LEVEL':<10}{'RISK':>4} {'NAME':<18} " + (f"{'SQUAD':<10} " if show_squad else "")
    cols += f"{'HR':>3} {'PACE':>5} {'CAD':>3} {'TEMP':>4} {'SESSION':<8} {'SIGNAL':<6} {'REASON':<28} LAST ALERT"
    lines.append(fit(cols, width))
    if not tiles:
        lines.append("(no runner yet)")
    for t in tiles:
        level = _word(t)
        risk = t.get("display_risk", t.get("risk"))
        risk_cell = f"{round(risk * 100):>3d}%" if isinstance(risk, int | float) else "   -"
        name = str(t.get("name") or t.get("athlete") or "")
        signal = str(t.get("signal")) if t.get("signal") in ("ok", "stale", "lost") else "ok"
        reason = t.get("top_reason_text") or reason_text(t.get("top_reason") or top_reason(t.get("factors")), t)
        session = str(t.get("session_state") or "live")
        last = t.get("last_alert")
        last_text = "-"
        if isinstance(last, Mapping):
            last_text = ("✓ " if last.get("acked") else "") + str(last.get("message") or "")
        rest = f"{risk_cell} {pad(fit(name, 18), 18)} "  # by terminal columns: a CJK name is twice as wide
        if show_squad:
            rest += f"{fit(str(t.get('squad', '')), 10):<10} "
        rest += (
            f"{_fmt(t.get('hr')):>3} {fmt_pace(t.get('pace'), t.get('gait_state')):>5} {_fmt(t.get('cadence')):>3} "
            f"{_fmt(t.get('temp')):>4} {session:<8} {signal:<6} {fit(reason or '-', 28):<28} {last_text}"
        )
        level_cell = f"{level.upper():<10}"
        rest = fit(rest, max(0, width - len(level_cell))).rstrip()
        sig = SIGNAL_STYLE.get(signal)
        if color and sig:
            rest = rest.replace(f" {signal:<6} ", f" {_style(f'{signal:<6}', sig, True)} ", 1)
        lines.append(_style(level.upper(), STYLE[level], color) + " " * (len(level_cell) - len(level)) + rest)
    return "\n".join(lines)


def _word(tile: Mapping[str, Any]) -> str:
    word = tile.get("display_level")
    return str(word) if word in WORDS else display_level(tile.get("level"), cramp=False)


# ---- the MQTT side --------------------------------------------------------------------------------------------------
class Watcher:
    """Feeds a :class:`LiveView` from the broker and draws its table on ``out``."""

    def __init__(
        self,
        broker: BrokerURL,
        topics: Topics,
        *,
        squad: str | None = None,
        out: TextIO = sys.stdout,
        color: bool = False,
        width: int | None = None,
        clear_screen: bool = True,
    ) -> None:
        self.broker = broker
        #: redraw over the last table (a terminal); else each table follows the last, under a rule (a pipe or log)
        self.clear_screen = clear_screen
        self.topics = topics
        self.squad = squad
        self.out = out
        self.color = color
        self.width = width
        self.view = LiveView(history_points=1, session_alerts=20, feed_size=1)
        self.changed = asyncio.Event()
        self.first_status = asyncio.Event()
        self.last_status_at = 0.0
        self.stop = asyncio.Event()
        self.connected = asyncio.Event()
        #: why the last connection attempt failed (the broker's refusal, "Connection refused"), for the user
        self.last_error = ""
        self.failures = 0  # connection attempts that failed: before the first ends the footer says "connecting"
        self.draws = 0

    def subscriptions(self) -> list[str]:
        squad = self.squad or "+"
        return [f"{self.topics.prefix}/{squad}/+/{leaf}" for leaf in ("status", "alert", "ack")]

    def handle(self, topic: str, payload: bytes) -> None:
        """One message: status and alert payloads must name the squad and athlete of their topic."""
        parts = topic.split("/")
        if len(parts) < 3 or len(payload) > MAX_PAYLOAD:
            return
        squad, athlete, leaf = parts[-3], parts[-2], parts[-1]
        try:
            data = json.loads(payload)
        except (ValueError, UnicodeDecodeError):
            return
        if not isinstance(data, dict):
            return
        if leaf == "ack":
            alert_id = data.get("alert_id")
            if isinstance(alert_id, str) and self.view.mark_acked(squad, athlete, alert_id):
                self.changed.set()
            return
        if data.get("squad") != squad or data.get("athlete") != athlete:
            return
        if leaf == "status":
            self.view.add_status(data)
            self.first_status.set()
            self.last_status_at = time.monotonic()
        elif leaf == "alert":
            self.view.add_alert(data)
        self.changed.set()

    def table(self) -> str:
        width = self.width or shutil.get_terminal_size((120, 24)).columns
        return render_table(
            self.view.athletes(self.squad),
            squad=self.squad,
            color=self.color,
            width=width,
            clock=time.strftime("%H:%M:%S"),
        )

    def draw(self, *, clear: bool) -> None:
        if clear and not self.clear_screen and self.draws:
            self.out.write("-" * 40 + "\n")  # piped: no screen to clear, so no escape codes in the file
        self.out.write(("\x1b[H\x1b[2J" if clear and self.clear_screen else "") + self.table() + "\n")
        if clear:
            why = f" ({self.last_error})" if self.last_error else ""
            away = "" if self.connected.is_set() else f"broker {self.broker} unreachable{why}, retrying · "
            if not self.connected.is_set() and not (self.failures or self.last_error):  # no attempt has ended yet
                away = f"connecting to {self.broker} · "
            self.out.write(f"{away}Ctrl-C to quit\n")
        self.out.flush()
        self.draws += 1

    async def _listen(self) -> None:
        delay = 0.2
        while not self.stop.is_set():
            try:
                async with self.broker.client() as client:
                    for topic in self.subscriptions():
                        await client.subscribe(topic, qos=1)
                    self.connected.set()
                    self.changed.set()  # the footer changes: redraw now, not at the 5-s refresh
                    self.last_error, delay = "", 0.2
                    async for msg in client.messages:
                        payload = msg.payload if isinstance(msg.payload, bytes | bytearray) else b""
                        self.handle(str(msg.topic), bytes(payload))
            except aiomqtt.MqttError as exc:
                self.connected.clear()
                self.failures += 1
                self.changed.set()
                self.last_error = " ".join(str(exc).split())[:120]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), delay)
            delay = min(5.0, delay * 2)

    async def main(self, *, once: bool, timeout: float = 30.0) -> int:
        install_stop_handlers(self.stop.set)
        listener = asyncio.create_task(self._listen())
        try:
            return await (self._once(timeout) if once else self._live())
        finally:
            self.stop.set()
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)

    async def _first_or_stop(self, timeout: float) -> None:
        """Until the first status, a stop (Ctrl-C, SIGTERM) or ``timeout`` (TimeoutError)."""
        waiters = {asyncio.ensure_future(self.first_status.wait()), asyncio.ensure_future(self.stop.wait())}
        try:
            done, _ = await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for fut in waiters:
                fut.cancel()
        if not done:
            raise TimeoutError

    async def _once(self, timeout: float) -> int:
        try:
            await self._first_or_stop(timeout)
            if self.stop.is_set() and not self.first_status.is_set():
                return 1  # stopped before anything came: no table (it waited until --timeout, ignoring Ctrl-C)
        except TimeoutError:
            if not self.connected.is_set():
                why = f": {self.last_error}" if self.last_error else ""
                raise BrokerError(f"cannot reach broker {self.broker} within {timeout:g} s{why}") from None
            raise CrampwatchError(f"no status on {self.subscriptions()[0]} within {timeout:g} s") from None
        first = time.monotonic()
        while True:  # the retained statuses arrive as a burst: print when it is over
            quiet = self.last_status_at + QUIET_S - time.monotonic()
            left = first + BURST_MAX_S - time.monotonic()
            if quiet <= 0 or left <= 0:
                break
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), min(quiet, left))
        self.draw(clear=False)
        return 0

    async def _live(self) -> int:
        self.draw(clear=True)
        while not self.stop.is_set():
            waiter = asyncio.ensure_future(self.changed.wait())
            stopper = asyncio.ensure_future(self.stop.wait())
            await asyncio.wait({waiter, stopper}, timeout=5.0, return_when=asyncio.FIRST_COMPLETED)
            for fut in (waiter, stopper):
                fut.cancel()
            if self.stop.is_set():
                break
            self.changed.clear()  # changes from now on (also during the pause below) cause the next redraw
            self.draw(clear=True)
            with contextlib.suppress(TimeoutError):  # at most one redraw per REDRAW_S
                await asyncio.wait_for(self.stop.wait(), REDRAW_S)
        return 0
