"""Sinks: console, memory, registry, and the webhook against a real local aiohttp server.

No sleeps as synchronisation: the tests wait on the server's arrival queue, on events, and on
``WebhookSink.flush`` — each under ``asyncio.wait_for``.
"""

from __future__ import annotations

import asyncio
import io
import socket
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import pytest
from aiohttp import web

from alerts.alert import Alert
from alerts.sinks import ConsoleSink, MemorySink, Sink, WebhookSink, make_sink, register_sink, sink_kinds
from alerts.sinks.console import format_alert

WAIT = 10.0  # generous upper bound for anything that should happen promptly


def mk_alert(i: int = 0, *, squad: str = "club", athlete: str = "ana", level: str = "advice") -> Alert:
    return Alert(
        id=f"id{i}",
        t=1_732_400_000.0 + 5 * i,
        squad=squad,
        athlete=athlete,
        level=level,  # type: ignore[arg-type]
        kind="hydrate",
        risk=0.5,
        message=f"Drink now {i}",
        detail=f"risk 0.50 (elevated): 31 °C #{i}",
        factors={"heat": 0.2},
    )


def returns_immediately(coro: Coroutine[Any, Any, None]) -> bool:
    """True if the coroutine finishes without ever suspending (so it cannot block the event loop's caller)."""
    try:
        coro.send(None)
    except StopIteration:
        return True
    coro.close()
    return False


class Hook:
    """A local webhook receiver: records JSON bodies; answers with scripted statuses; can hold requests."""

    def __init__(self, statuses: list[int] | None = None, *, hold: bool = False) -> None:
        self.statuses = list(statuses or [])
        self.hold = hold
        self.release = asyncio.Event()
        self.arrivals: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.received: list[dict[str, Any]] = []
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append(body)
        self.arrivals.put_nowait(body)
        if self.hold:
            await self.release.wait()
        status = self.statuses.pop(0) if self.statuses else 200
        return web.json_response({"ok": status < 300}, status=status)

    async def __aenter__(self) -> Hook:
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/hook"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.release.set()
        assert self._runner is not None
        await self._runner.cleanup()

    async def next(self) -> dict[str, Any]:
        return await asyncio.wait_for(self.arrivals.get(), WAIT)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


async def arun(fn: Callable[[], Awaitable[None]]) -> None:
    """Run a test body with a 60 s bound (the body may start servers and sinks of its own)."""
    await asyncio.wait_for(fn(), 60)


# --------------------------------------------------------------------------------------------------- webhook


async def test_webhook_posts_the_alert_dict() -> None:
    async def body() -> None:
        async with Hook() as hook:
            sink = WebhookSink(hook.url, timeout_s=5.0)
            await sink.start()
            alert = mk_alert(1)
            assert returns_immediately(sink.on_alert(alert))
            assert await hook.next() == alert.to_dict()
            await sink.flush(WAIT)
            await sink.close()
            assert sink.stats.to_dict() == {"sent": 1, "failed": 0, "dropped": 0, "retried": 0}

    await arun(body)


async def test_webhook_server_down_retries_counts_failure_and_never_blocks() -> None:
    async def body() -> None:
        sink = WebhookSink(f"http://127.0.0.1:{free_port()}/hook", retries=2, backoff_s=0.01, timeout_s=2.0)
        await sink.start()
        for i in range(3):
            assert returns_immediately(sink.on_alert(mk_alert(i)))  # the pipeline goes on at once
        await sink.flush(WAIT)
        assert sink.stats.to_dict() == {"sent": 0, "failed": 3, "dropped": 0, "retried": 6}
        await sink.close()

    await arun(body)


async def test_webhook_giving_up_is_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    """audit5: an alert the webhook gave up on was only 'attempt N failed' lines at INFO: a monitor run at
    --log-level warning lost every alert to a dead webhook without a line (a final 4xx did warn)."""

    async def body() -> None:
        sink = WebhookSink(f"http://127.0.0.1:{free_port()}/hook", retries=1, backoff_s=0.01, timeout_s=2.0)
        await sink.start()
        await sink.on_alert(mk_alert(7))
        await sink.flush(WAIT)
        await sink.close()

    with caplog.at_level("WARNING", logger="alerts"):
        await arun(body)
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warned) == 1 and "alert id7 not delivered after 2 attempts (ClientConnectorError)" in warned[0], warned


async def test_webhook_slow_server_times_out_and_retries() -> None:
    async def body() -> None:
        async with Hook(hold=True) as hook:
            sink = WebhookSink(hook.url, timeout_s=0.2, retries=1, backoff_s=0.01)
            await sink.start()
            await sink.on_alert(mk_alert(1))
            first, second = await hook.next(), await hook.next()  # the first try timed out, then a retry
            assert first == second == mk_alert(1).to_dict()
            await sink.flush(WAIT)
            assert sink.stats.to_dict() == {"sent": 0, "failed": 1, "dropped": 0, "retried": 1}
            await sink.close()

    await arun(body)


async def test_webhook_retries_5xx_until_success_but_not_4xx() -> None:
    async def body() -> None:
        async with Hook([503, 500, 200, 400]) as hook:
            sink = WebhookSink(hook.url, retries=3, backoff_s=0.01)
            await sink.on_alert(mk_alert(1))  # 503, 500, then 200
            await sink.on_alert(mk_alert(2))  # 400: final
            await sink.flush(WAIT)
            assert [b["id"] for b in hook.received] == ["id1", "id1", "id1", "id2"]
            assert sink.stats.to_dict() == {"sent": 1, "failed": 1, "dropped": 0, "retried": 2}
            await sink.close()

    await arun(body)


async def test_webhook_full_queue_drops_the_oldest_and_counts_it() -> None:
    async def body() -> None:
        async with Hook(hold=True) as hook:
            sink = WebhookSink(hook.url, queue_size=2, timeout_s=WAIT)
            await sink.start()
            await sink.on_alert(mk_alert(0))
            await hook.next()  # id0 is in flight, held by the server
            for i in range(1, 5):
                assert returns_immediately(sink.on_alert(mk_alert(i)))
            assert sink.queued == 2 and sink.stats.dropped == 2
            hook.release.set()
            await sink.flush(WAIT)
            assert [b["id"] for b in hook.received] == ["id0", "id3", "id4"]
            assert sink.stats.to_dict() == {"sent": 3, "failed": 0, "dropped": 2, "retried": 0}
            await sink.close()

    await arun(body)


async def test_webhook_close_drains_the_queue() -> None:
    async def body() -> None:
        async with Hook() as hook:
            sink = WebhookSink(hook.url)
            for i in range(5):
                await sink.on_alert(mk_alert(i))
            await sink.close()
            assert [b["id"] for b in hook.received] == [f"id{i}" for i in range(5)]
            assert sink.stats.sent == 5
            await sink.on_alert(mk_alert(9))  # after close: counted, not sent
            assert sink.stats.dropped == 1

    await arun(body)


async def test_webhook_close_gives_up_at_the_deadline() -> None:
    async def body() -> None:
        async with Hook(hold=True) as hook:
            sink = WebhookSink(hook.url, timeout_s=WAIT, close_deadline_s=0.2)
            for i in range(4):
                await sink.on_alert(mk_alert(i))
            await hook.next()
            await asyncio.wait_for(sink.close(), WAIT)  # returns by the deadline, not after the request timeout
            assert sink.stats.to_dict() == {"sent": 0, "failed": 0, "dropped": 4, "retried": 0}

    await arun(body)


async def test_webhook_statuses_only_when_asked() -> None:
    async def body() -> None:
        async with Hook() as hook:
            quiet, chatty = WebhookSink(hook.url), WebhookSink(hook.url, statuses=True)
            for sink in (quiet, chatty):
                await sink.on_status({"squad": "club", "athlete": "ana", "risk": 0.1})
                await sink.flush(WAIT)
                await sink.close()
            assert hook.received == [{"squad": "club", "athlete": "ana", "risk": 0.1}]

    await arun(body)


def test_webhook_rejects_bad_settings() -> None:
    with pytest.raises(ValueError, match="http"):
        WebhookSink("ftp://example.org")
    with pytest.raises(ValueError):
        WebhookSink("http://example.org", queue_size=0)


# --------------------------------------------------------------------------------------------------- console


async def test_console_prints_one_line_per_alert() -> None:
    out = io.StringIO()
    sink = ConsoleSink(out)
    await sink.on_alert(mk_alert(1, level="warning"))
    assert out.getvalue() == "22:13:25Z WARNING  club/ana hydrate (risk 0.50): Drink now 1\n"
    detailed = io.StringIO()
    await ConsoleSink(detailed, detail=True).on_alert(mk_alert(1))
    assert detailed.getvalue().rstrip("\n").endswith("| risk 0.50 (elevated): 31 °C #1")
    assert detailed.getvalue().count("\n") == 1


async def test_console_counts_write_errors() -> None:
    out = io.StringIO()
    out.close()
    sink = ConsoleSink(out)
    await sink.on_alert(mk_alert())
    assert (sink.written, sink.failed) == (0, 1)


async def test_console_default_stream_is_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    await ConsoleSink().on_alert(mk_alert(2))
    assert "club/ana hydrate" in capsys.readouterr().out


def test_format_alert_survives_odd_times() -> None:
    a = mk_alert()
    odd = Alert(**{**a.to_dict(), "t": 1e20})
    assert format_alert(odd).startswith("t=100000000000000000000 ADVICE")


# ---------------------------------------------------------------------------------------------------- memory


async def test_memory_is_bounded_and_deduplicates() -> None:
    async def body() -> None:
        sink = MemorySink(per_athlete=3, max_athletes=2, feed=4)
        for i in range(5):
            await sink.on_alert(mk_alert(i, athlete="ana"))
        await sink.on_alert(mk_alert(4, athlete="ana"))  # redelivery
        assert [a.id for a in sink.alerts_for("club", "ana")] == ["id2", "id3", "id4"]
        assert (sink.received, sink.duplicates) == (5, 1)
        await sink.on_alert(mk_alert(10, athlete="bo"))
        await sink.on_alert(mk_alert(11, athlete="cy", squad="other"))  # third athlete: the least recent goes
        assert sink.athletes() == [("club", "bo"), ("other", "cy")]
        assert [a.id for a in sink.recent()] == ["id3", "id4", "id10", "id11"]
        assert [a.id for a in sink.recent(2, squad="club")] == ["id4", "id10"]
        assert sink.recent(0) == []
        sink.clear("club")
        assert [a.id for a in sink.recent()] == ["id11"] and sink.alerts_for("club", "bo") == []
        sink.clear()
        assert sink.recent() == [] and sink.athletes() == []

    await arun(body)


async def test_memory_wait_for_and_statuses() -> None:
    async def body() -> None:
        sink = MemorySink(statuses=True)

        async def producer() -> None:
            for i in range(3):
                await asyncio.sleep(0)
                await sink.on_alert(mk_alert(i))

        waiter = asyncio.ensure_future(sink.wait_for(3, WAIT))
        await producer()
        assert [a.id for a in await waiter] == ["id0", "id1", "id2"]
        with pytest.raises(TimeoutError):
            await sink.wait_for(4, 0.01)
        await sink.on_status({"squad": "club", "athlete": "ana", "risk": 0.3})
        assert sink.status_for("club", "ana") == {"squad": "club", "athlete": "ana", "risk": 0.3}
        assert sink.status_for("club", "zed") is None

    await arun(body)


# -------------------------------------------------------------------------------------------------- registry


def test_make_sink_specs() -> None:
    assert isinstance(make_sink("console"), ConsoleSink)
    assert make_sink("console:stderr,detail").detail  # type: ignore[attr-defined]
    assert isinstance(make_sink("memory"), MemorySink)
    hook = make_sink("webhook:https://example.org/h?x=1")
    assert isinstance(hook, WebhookSink) and hook.url == "https://example.org/h?x=1"
    for bad, match in [
        ("nope", "unknown sink"),
        ("webhook:", "needs a URL"),
        ("webhook:example.org", "http"),
        ("console:loud", "unknown option"),
        ("memory:5", "no argument"),
    ]:
        with pytest.raises(ValueError, match=match):
            make_sink(bad)


def test_register_sink(monkeypatch: pytest.MonkeyPatch) -> None:
    import alerts.sinks

    monkeypatch.setattr(alerts.sinks, "_FACTORIES", dict(alerts.sinks._FACTORIES))  # leave no trace

    class Null(Sink):
        name = "null"

    register_sink("null", lambda arg: Null())
    assert "null" in sink_kinds()
    assert make_sink("null").name == "null"
    with pytest.raises(ValueError):
        register_sink("a:b", lambda arg: Null())
