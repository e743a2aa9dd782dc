"""``crampwatch watch``: the squad table in the terminal, over a real Mosquitto."""

from __future__ import annotations

import asyncio
import io
import json
import re
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.coach.live import LiveView
from monitor.commands.watch import Watcher, render_table
from monitor.core.wire import Topics
from monitor.mqtt.broker import BrokerURL
from monitor.mqtt.embedded import free_port
from tests.brokers import Mosquitto
from tests.monitor.coach.test_live_helpers import T0, alert, status

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


async def publish_statuses(broker: BrokerURL, statuses: list[dict[str, object]], *, retain: bool = True) -> None:
    topics = Topics()
    async with broker.client() as client:
        for s in statuses:
            topic = topics.of(str(s["squad"]), str(s["athlete"]), "status")
            await client.publish(topic, json.dumps(s), qos=1, retain=retain)


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """The table is cut to the terminal's width: the assertions below read full rows, so give them 120 columns
    whatever the terminal (or pytest-xdist worker) the tests run in."""
    monkeypatch.setenv("COLUMNS", "120")


def squad_statuses() -> list[dict[str, object]]:
    return [
        status("lena", 3, risk=0.05, level="low", name="Lena Fischer"),
        status("sam", 3, risk=0.91, level="critical", name="Sam Okafor", temp=30.0),
        status("jonas", 3, risk=0.4, level="elevated", name="Jonas Berg", signal="stale"),
        status("kim", 3, squad="track", risk=0.2, level="low", name="Kim Park"),
    ]


def rows(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.split(" ", 1)[0] in ("LOW", "ELEVATED", "HIGH", "CRITICAL")]


@pytest.mark.broker
async def test_once_prints_the_table_riskiest_first(mosquitto: BrokerURL, capsys: pytest.CaptureFixture[str]) -> None:
    await publish_statuses(mosquitto, squad_statuses())
    argv = ["watch", "--broker", f"mqtt://127.0.0.1:{mosquitto.port}", "--once", "--timeout", "10"]
    code = await asyncio.to_thread(main, argv)  # the command runs its own event loop, as from a shell
    out = capsys.readouterr().out
    assert code == 0
    assert not ANSI.search(out)  # not a terminal: no colour codes
    table = rows(out)
    assert [line.split()[0] for line in table] == ["CRITICAL", "ELEVATED", "LOW", "LOW"]
    assert "Sam Okafor" in table[0] and "91%" in table[0] and "10 % faster than training" in table[0]
    assert "5:00" in table[0] and "stale" in table[1]
    assert out.startswith("crampwatch · all squads · 4 runners (1 critical, 1 elevated, 2 low)")


@pytest.mark.broker
async def test_once_for_one_squad(mosquitto: BrokerURL, capsys: pytest.CaptureFixture[str]) -> None:
    await publish_statuses(mosquitto, squad_statuses())
    url = f"mqtt://127.0.0.1:{mosquitto.port}"
    argv = ["watch", "--broker", url, "--once", "--squad", "track", "--color", "always"]
    assert await asyncio.to_thread(main, argv) == 0
    out = capsys.readouterr().out
    assert "\x1b[32mLOW\x1b[0m" in out  # colour and the word
    plain = ANSI.sub("", out)
    assert [line.split()[2] for line in rows(plain)] == ["Kim"] and "squad track · 1 runner" in plain


@pytest.mark.broker
def test_once_without_statuses_exits_1(mosquitto: BrokerURL, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"mqtt://127.0.0.1:{mosquitto.port}"
    assert main(["watch", "--broker", url, "--once", "--timeout", "0.5"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("crampwatch: no status on crampwatch/v1/+/+/status within 0.5 s") and err.count("\n") == 1


def test_once_with_no_broker_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["watch", "--broker", f"mqtt://127.0.0.1:{free_port()}", "--once", "--timeout", "0.5"]) == 1
    assert "cannot reach broker" in capsys.readouterr().err


@pytest.mark.broker
def test_once_names_why_the_broker_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A broker that refuses the login (wrong password) was reported as 'cannot reach broker ... within 30 s'
    (and 'unreachable, retrying' live), hiding the broker's answer the user needs to fix it."""
    broker = Mosquitto(tmp_path, anonymous=False)
    broker.start()
    try:
        assert main(["watch", "--broker", f"mqtt://coach:wrong@127.0.0.1:{broker.port}", "--once",
                     "--timeout", "1"]) == 1  # fmt: skip
    finally:
        broker.stop()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "wrong" not in err, err
    assert err.startswith(f"crampwatch: cannot reach broker mqtt://coach@127.0.0.1:{broker.port} within 1 s: "), err
    assert "not authorized" in err.lower(), err


@pytest.mark.broker
async def test_once_stops_on_ctrl_c_while_waiting(mosquitto: BrokerURL) -> None:
    """Ctrl-C (or SIGTERM) while --once waited for a first status did nothing until --timeout (default 30 s) ran
    out ('no status ... within 30 s'); with a long --timeout the command could only be killed."""
    out = io.StringIO()
    watcher = Watcher(mosquitto, Topics(), squad="nobody", out=out)
    task = asyncio.create_task(watcher.main(once=True, timeout=600.0))
    await asyncio.wait_for(watcher.connected.wait(), 10)
    watcher.stop.set()  # what the SIGINT/SIGTERM handlers do
    assert await asyncio.wait_for(task, 5) == 1
    assert out.getvalue() == ""  # no table: nothing arrived


def test_live_table_says_why_the_broker_is_away() -> None:
    out = io.StringIO()
    watcher = Watcher(BrokerURL(host="127.0.0.1", port=1), Topics(), out=out, width=100)
    watcher.last_error = "[code:135] Not authorized"
    watcher.draw(clear=True)
    assert "broker mqtt://127.0.0.1:1 unreachable ([code:135] Not authorized), retrying" in out.getvalue()


async def test_live_table_says_connecting_until_an_attempt_fails(mosquitto: BrokerURL) -> None:
    """audit5: the first frame, drawn before the first connection attempt, said 'broker mqtt://... unreachable,
    retrying' of a broker that was up, and kept saying it until the 5-s refresh when no status came."""
    out = io.StringIO()
    watcher = Watcher(mosquitto, Topics(prefix="audit5/none"), out=out, width=100)
    task = asyncio.create_task(watcher.main(once=False))
    try:
        await asyncio.wait_for(watcher.connected.wait(), 10)
        deadline = time.monotonic() + 2.0  # redrawn on connecting, well before the 5-s refresh
        while watcher.draws < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
    finally:
        watcher.stop.set()
        await task
    frames = out.getvalue().split("\x1b[H\x1b[2J")[1:]
    assert "unreachable" not in out.getvalue()
    assert frames[0].endswith(f"connecting to {mosquitto} · Ctrl-C to quit\n")
    assert len(frames) >= 2 and frames[-1].endswith("\nCtrl-C to quit\n"), frames


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["watch"], "--broker URL is required"),
        (["watch", "--broker", "http://example.org"], "scheme must be mqtt:// or mqtts://"),
        (["watch", "--broker", "mqtt://h", "--squad", "a/b"], "--squad"),
        (["watch", "--broker", "mqtt://h", "--prefix", "a/#"], "bad topic prefix"),
    ],
)
def test_bad_usage_is_one_line_and_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CRAMPWATCH_BROKER", raising=False)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize("argv", [["watch", "--nope"], ["watch", "--broker", "mqtt://h", "--timeout", "-1"]])
def test_bad_flags_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_table_fits_the_width_and_shows_alerts() -> None:
    view = LiveView()
    for s in squad_statuses():
        view.add_status(s)
    message = "Cramp risk 91 %: stop and stretch. Calf: lunge, leg straight behind"
    critical = alert("sam", T0 + 20, level="critical", kind="stop_and_stretch", message=message)
    view.add_alert(critical.to_dict())
    view.mark_acked("club", "sam", critical.id)
    for width in (60, 100, 200):
        for color in (False, True):
            text = render_table(view.athletes(), color=color, width=width)
            assert all(len(ANSI.sub("", line)) <= width for line in text.splitlines()), (width, text)
    wide = render_table(view.athletes(), width=200)
    assert "✓ Cramp risk 91 %: stop and stretch" in rows(wide)[0]
    assert "club" in rows(wide)[0]  # all squads: the squad column is shown
    assert "(no runner yet)" in render_table([], width=80)


def test_a_wide_name_keeps_the_columns_in_line() -> None:
    """A name in CJK characters (two terminal columns each) was padded by characters: its HR, pace and the rest
    stood 4 columns right of the other rows'."""

    def columns(text: str) -> int:  # terminal columns, measured here independently of the code under test
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)

    view = LiveView()
    for s in [status("yamada", 3, risk=0.3, level="elevated", name="山田太郎"), *squad_statuses()[:2]]:
        view.add_status(s)
    lines = rows(render_table(view.athletes(), width=200))
    hr = {columns(line[: line.index(" 143 ")]) if " 143 " in line else None for line in lines}
    assert len(lines) == 3 and len(hr) == 1 and None not in hr, lines


@pytest.mark.broker
async def test_live_table_redraws_as_statuses_and_alerts_arrive(mosquitto: BrokerURL) -> None:
    out = io.StringIO()

    async def until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, f"timed out waiting for {what}: {out.getvalue()[-2000:]}"
            await asyncio.sleep(0.02)

    def last_table() -> str:
        return ANSI.sub("", out.getvalue().rsplit("\x1b[2J", 1)[-1])

    async def scenario() -> None:
        watcher = Watcher(mosquitto, Topics(), squad="club", out=out, width=160)
        task = asyncio.create_task(watcher.main(once=False))
        await asyncio.wait_for(watcher.connected.wait(), 10)
        await publish_statuses(mosquitto, [status("sam", 0, risk=0.3, level="elevated", name="Sam Okafor")])
        await until(lambda: "Sam Okafor" in last_table(), "the first row")
        assert rows(last_table())[0].startswith("ELEVATED")
        await publish_statuses(mosquitto, [status("sam", 1, risk=0.8, level="critical", name="Sam Okafor"),
                                           status("kim", 0, squad="track", name="Kim Park")], retain=False)  # fmt: skip
        await until(lambda: rows(last_table())[0].startswith("CRITICAL"), "the row to turn critical")
        topic = Topics().of("club", "sam", "alert")
        async with mosquitto.client() as client:
            await client.publish(topic, json.dumps(alert("sam", T0 + 10).to_dict()), qos=1)
        await until(lambda: "Ease the pace" in last_table(), "the last alert")
        assert "Kim Park" not in out.getvalue()  # --squad club
        watcher.stop.set()
        assert await asyncio.wait_for(task, 5) == 0

    await scenario()


def cramp_status(i: int, *, signs: bool) -> dict[str, object]:
    """A status as the monitor publishes it while cramp signs are on (the ``acute_cramp`` flag and factor) and
    after they ended (the run's length on top)."""
    factors = {"duration": 0.9, "sex": 0.3} | ({"acute_cramp": 3.0} if signs else {})
    return status("femi", i, risk=0.35, level="elevated", name="Femi Adeyemi", acute_cramp=signs, factors=factors)


@pytest.mark.broker
async def test_once_shows_cramp_signs_as_the_dashboard_does(
    mosquitto: BrokerURL, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["watch", "--broker", f"mqtt://127.0.0.1:{mosquitto.port}", "--once", "--timeout", "10"]
    for signs in (True, False):
        await publish_statuses(mosquitto, [cramp_status(3 + signs, signs=signs)])  # retained: replaces the last
        assert await asyncio.to_thread(main, argv) == 0
        row = next(line for line in capsys.readouterr().out.splitlines() if "Femi" in line)
        dashboard = LiveView()  # the dashboard's tile of the same status, with no alert seen
        dashboard.add_status(cramp_status(3 + signs, signs=signs))
        tile = dashboard.athletes()[0]
        assert row.split()[0] == tile["display_level"].upper() == ("CRAMP" if signs else "ELEVATED")
        assert tile["top_reason_text"] in row
        assert ("Cramp signs" in row) is signs


def test_help_says_what_watch_cannot_know(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["watch", "--help"])
    assert exc.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "CRAMP is shown while a runner's status reports cramp signs" in text
    assert "Alerts are not retained on the broker: watch does not know alerts sent before it started" in text


async def test_live_table_into_a_pipe_has_no_screen_codes(mosquitto: BrokerURL) -> None:
    """``crampwatch watch > squad.log`` wrote "clear screen" escape codes before every table (audit5); not on a
    terminal, each table follows the last under a rule, with nothing but text (``run`` passes ``isatty()``)."""
    out = io.StringIO()
    watcher = Watcher(mosquitto, Topics(prefix="audit5/none"), out=out, width=100, clear_screen=False)
    task = asyncio.create_task(watcher.main(once=False))
    try:
        await asyncio.wait_for(watcher.connected.wait(), 10)
        deadline = time.monotonic() + 5.0  # the first table, then the one drawn on connecting
        while watcher.draws < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
    finally:
        watcher.stop.set()
        await task
    text = out.getvalue()
    assert watcher.draws >= 2 and not ANSI.search(text), repr(text[:200])
    assert text.count("-" * 40 + "\n") == watcher.draws - 1  # one rule between two tables
    assert text.rstrip().endswith("Ctrl-C to quit")


def test_a_name_with_escape_codes_does_not_reach_the_terminal() -> None:
    """audit6: a profile name with escape codes (taken before the wire refused them, and kept in the store)
    cleared and recoloured the coach's terminal, and a line break split the row."""
    tile = {"squad": "club", "athlete": "ev", "name": "Ev\x1b[2J\x1b[31mil\nX", "level": "low", "risk": 0.1}
    table = render_table([tile], squad="club", width=120)
    assert "\x1b" not in table and len(table.splitlines()) == 3
    assert "Ev\ufffd[2J\ufffd[31mil\ufffdX" in table
