"""The dashboard's HTTP server against a real aiohttp server on 127.0.0.1 (sync tests around asyncio.run)."""

from __future__ import annotations

import asyncio
import json
import re
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from monitor.coach.live import LiveView
from monitor.errors import UsageError
from monitor.http import HttpServer, openapi, serve
from monitor.http.openapi import STATUS_KEYS as API_STATUS_KEYS
from tests.monitor.coach.test_live_helpers import STATUS_KEYS, T0, alert, status

Acks = list[tuple[str, str, str]]
Scenario = Callable[[HttpServer, aiohttp.ClientSession, LiveView, Acks], Awaitable[None]]


async def run(
    scenario: Scenario, view: LiveView | None = None, ack: Callable[[str, str, str], None] | None = None
) -> Acks:
    acks: Acks = []
    live = view if view is not None else LiveView()

    async def main() -> None:
        server = await serve(live, "127.0.0.1", 0, ack=ack or (lambda s, a, i: acks.append((s, a, i))))
        try:
            async with aiohttp.ClientSession(base_url=server.url) as http:
                await scenario(server, http, live, acks)
        finally:
            await server.close()

    await main()
    return acks


def squad_view() -> LiveView:
    view = LiveView()
    view.add_status(status("easy", 0, risk=0.05, level="low"))
    view.add_status(status("hot", 0, risk=0.8, level="critical"))
    view.add_status(status("mid", 0, risk=0.4, level="elevated"))
    view.add_status(status("far", 0, squad="track", risk=0.6, level="high"))
    view.add_alert(alert("hot", T0 + 5).to_dict())
    return view


async def get_json(http: aiohttp.ClientSession, path: str, expect: int = 200) -> Any:
    async with http.get(path) as res:
        assert res.status == expect, (path, res.status, await res.text())
        assert res.content_type == "application/json"
        return await res.json()


async def read_event(stream: aiohttp.StreamReader) -> tuple[str, dict[str, Any]]:
    """The next SSE event (comments and ``retry:`` skipped) as (event name, JSON data)."""
    name, data = "message", ""
    while True:
        line = (await stream.readline()).decode()
        if line in ("\n", ""):
            if data:
                return name, json.loads(data)
            if line == "":
                raise EOFError
            continue
        field, _, value = line.rstrip("\n").partition(": ")
        if field == "event":
            name = value
        elif field == "data":
            data += value


async def test_serve_reports_the_picked_port_and_healthz() -> None:
    async def scenario(server: HttpServer, http: aiohttp.ClientSession, view: LiveView, acks: Acks) -> None:
        assert server.port > 0 and server.url == f"http://127.0.0.1:{server.port}/"
        health = await get_json(http, "/healthz")
        assert health == {"ok": True, "athletes": 4, "subscribers": 0, "events": view.seq}

    await run(scenario, squad_view())


async def test_squads_and_athletes_riskiest_first() -> None:
    async def scenario(server: HttpServer, http: aiohttp.ClientSession, view: LiveView, acks: Acks) -> None:
        squads = await get_json(http, "/api/squads")
        assert [(s["squad"], s["athletes"], s["worst_level"]) for s in squads] == [
            ("club", 3, "critical"),
            ("track", 1, "high"),
        ]
        tiles = await get_json(http, "/api/athletes")
        assert [t["athlete"] for t in tiles] == ["hot", "far", "mid", "easy"]
        assert tiles[0]["last_alert"]["message"].startswith("Ease the pace")
        assert tiles[0]["top_reason"] == "pace_over_training"
        club = await get_json(http, "/api/athletes?squad=club")
        assert [t["athlete"] for t in club] == ["hot", "mid", "easy"]
        assert await get_json(http, "/api/athletes?squad=nobody") == []
        err = await get_json(http, "/api/athletes?squad=bad.id", 400)
        assert err["status"] == 400 and "squad" in err["error"]

    await run(scenario, squad_view())


async def test_athlete_status_history_and_alerts() -> None:
    async def scenario(server: HttpServer, http: aiohttp.ClientSession, view: LiveView, acks: Acks) -> None:
        for i in range(1, 6):
            view.add_status(status("hot", i, risk=0.8 + i / 100, level="critical"))
        full = await get_json(http, "/api/athletes/club/hot/status")
        assert set(STATUS_KEYS) <= set(full) and full["values"] == {"cadence_baseline": 172.0}
        hist = await get_json(http, "/api/athletes/club/hot/history")
        assert hist["points"] == 6 and hist["t"][0] == T0 + 5 and hist["risk"][-1] == pytest.approx(0.85)
        assert hist["alerts"][0]["kind"] == "ease_pace" and hist["name"] == "Hot"
        alerts = await get_json(http, "/api/athletes/club/hot/alerts")
        assert [a["level"] for a in alerts] == ["warning"] and alerts[0]["acked"] is False
        assert await get_json(http, "/api/athletes/club/easy/alerts") == []
        feed = await get_json(http, "/api/alerts?limit=1")
        assert [a["athlete"] for a in feed] == ["hot"]
        await get_json(http, "/api/alerts?limit=0", 400)
        assert await get_json(http, "/api/alerts?squad=track") == []
        for leaf in ("status", "history", "alerts"):
            missing = await get_json(http, f"/api/athletes/club/nobody/{leaf}", 404)
            assert missing == {"error": "no athlete nobody in squad club", "status": 404}
            await get_json(http, f"/api/athletes/club/bad.id/{leaf}", 400)
            await get_json(http, f"/api/athletes/{'x' * 65}/hot/{leaf}", 400)

    await run(scenario, squad_view())


async def test_ack_sends_the_contract_ack_and_marks_the_alert() -> None:
    hot_alert = alert("hot", T0 + 5)

    async def scenario(server: HttpServer, http: aiohttp.ClientSession, view: LiveView, acks: Acks) -> None:
        async with http.get("/events") as stream:
            assert (await read_event(stream.content))[0] == "snapshot"
            body = {"squad": "club", "athlete": "hot", "alert_id": hot_alert.id}
            async with http.post("/api/ack", json=body) as res:
                assert res.status == 202 and (await res.json())["ok"] is True
            assert acks == [("club", "hot", hot_alert.id)]
            name, data = await asyncio.wait_for(read_event(stream.content), 1.0)
            assert (name, data) == ("ack", {"squad": "club", "athlete": "hot", "alert_id": hot_alert.id})
        alerts = await get_json(http, "/api/athletes/club/hot/alerts")
        assert alerts[0]["acked"] is True

    await run(scenario, squad_view())


@pytest.mark.parametrize(
    ("body", "headers", "expect"),
    [
        ("not json", {"Content-Type": "application/json"}, 400),
        # audit6: nested 10,000 deep, json's RecursionError was a 500 and a traceback in the monitor's log
        ("[" * 10_000 + "]" * 10_000, {"Content-Type": "application/json"}, 400),
        ('["club"]', {"Content-Type": "application/json"}, 400),
        ('{"squad": "club", "athlete": "hot"}', {"Content-Type": "application/json"}, 400),
        ('{"squad": "club", "athlete": "hot", "alert_id": "a/b"}', {"Content-Type": "application/json"}, 400),
        ('{"squad": "club", "athlete": 7, "alert_id": "abc"}', {"Content-Type": "application/json"}, 400),
        ('{"squad": "club", "athlete": "nobody", "alert_id": "abc"}', {"Content-Type": "application/json"}, 404),
        ('{"squad": "club", "athlete": "hot", "alert_id": "abc"}', {"Content-Type": "application/json"}, 404),
        ('{"squad": "club", "athlete": "hot", "alert_id": "abc"}', {"Content-Type": "text/plain"}, 415),
        (
            '{"squad": "club", "athlete": "hot", "alert_id": "abc"}',
            {"Content-Type": "application/json", "Origin": "http://evil.example"},
            403,
        ),
    ],
)
async def test_ack_rejects_bad_requests(body: str, headers: dict[str, str], expect: int) -> None:
    async def scenario(server: HttpServer, http: aiohttp.ClientSession, view: LiveView, acks: Acks) -> None:
        async with http.post("/api/ack", data=body, headers=headers) as res:
            assert res.status == expect
            err = await res.json()
            assert err["status"] == expect and err["error"]

    assert await run(scenario, squad_view()) == []


async def test_ack_from_the_dashboards_own_origin_is_accepted_and_a_failing_ack_is_503() -> None:
    hot_alert = alert("hot", T0 + 5)
    body = {"squad": "club", "athlete": "hot", "alert_id": hot_alert.id}

    async def same_origin(server: HttpServer, http: aiohttp.ClientSession, view: LiveView, acks: Acks) -> None:
        async with http.post("/api/ack", json=body, headers={"Origin": server.url.rstrip("/")}) as res:
            assert res.status == 202

    assert len(await run(same_origin, squad_view())) == 1

    def broken(squad: str, athlete: str, alert_id: str) -> None:
        raise RuntimeError("broker buffer gone")

    async def failing(server: HttpServer, http: aiohttp.ClientSession, view: LiveView, acks: Acks) -> None:
        async with http.post("/api/ack", json=body) as res:
            assert res.status == 503
        assert not (view.alerts("club", "hot") or [{}])[0]["acked"]

    await run(failing, squad_view(), ack=broken)


async def test_events_snapshot_then_live_statuses_and_alerts_within_a_second() -> None:
    async def scenario(server: HttpServer, http: aiohttp.ClientSession, view: LiveView, acks: Acks) -> None:
        async with http.get("/events") as stream:
            assert stream.content_type == "text/event-stream"
            name, snap = await read_event(stream.content)
            assert name == "snapshot" and [t["athlete"] for t in snap["athletes"]][:2] == ["hot", "far"]
            assert snap["alerts"][0]["athlete"] == "hot" and len(snap["squads"]) == 2
            view.add_status(status("easy", 1, risk=0.3, level="elevated"))
            name, tile = await asyncio.wait_for(read_event(stream.content), 1.0)
            assert name == "status" and tile["athlete"] == "easy" and tile["level"] == "elevated"
            view.add_alert(alert("easy", T0 + 10, level="advice", kind="hydrate", message="Drink now").to_dict())
            name, item = await asyncio.wait_for(read_event(stream.content), 1.0)
            assert name == "alert" and item["message"] == "Drink now" and item["name"] == "Easy"
        async with http.get("/events?squad=track") as stream:
            name, snap = await read_event(stream.content)
            assert [t["athlete"] for t in snap["athletes"]] == ["far"]
            view.add_status(status("easy", 2))
            view.add_status(status("far", 1, squad="track"))
            name, tile = await asyncio.wait_for(read_event(stream.content), 1.0)
            assert tile["athlete"] == "far"
        await get_json(http, "/events?squad=a.b", 400)

    await run(scenario, squad_view())


async def test_events_resynchronise_a_client_that_fell_behind() -> None:
    async def scenario(server: HttpServer, http: aiohttp.ClientSession, view: LiveView, acks: Acks) -> None:
        async with http.get("/events") as stream:
            await read_event(stream.content)
            for i in range(20):  # no await in between: the server cannot send, its queue of 4 overflows
                view.add_status(status("easy", i + 1))
            name, snap = await asyncio.wait_for(read_event(stream.content), 1.0)
            assert name == "snapshot" and snap["resync"] is True
            easy = next(t for t in snap["athletes"] if t["athlete"] == "easy")
            assert easy["t"] == T0 + 105
        assert view.counters["dropped"] == 16

    await run(scenario, LiveView(subscriber_queue=4))


async def test_close_ends_open_event_streams_promptly() -> None:
    async def main() -> None:
        view = LiveView()
        server = await serve(view, "127.0.0.1", 0, ack=lambda s, a, i: None)
        async with aiohttp.ClientSession() as http, http.get(server.url + "events") as stream:
            await read_event(stream.content)
            assert view.subscribers == 1
            await asyncio.wait_for(server.close(), 5.0)
            with pytest.raises((EOFError, aiohttp.ClientPayloadError)):
                await asyncio.wait_for(read_event(stream.content), 5.0)
        assert view.subscribers == 0

    await main()


async def test_pages_static_assets_and_security_headers() -> None:
    async def scenario(server: HttpServer, http: aiohttp.ClientSession, view: LiveView, acks: Acks) -> None:
        async with http.get("/") as res:
            assert res.status == 200 and res.content_type == "text/html"
            page = await res.text()
            assert 'id="tiles"' in page and 'id="feed"' in page and "http" not in page.replace("http-equiv", "")
            assert "script-src 'self'" in res.headers["Content-Security-Policy"]
            assert res.headers["X-Content-Type-Options"] == "nosniff"
        async with http.get("/athlete/club/hot") as res:
            assert res.status == 200 and 'id="charts"' in await res.text()
        async with http.get("/athlete/club/nobody-yet") as res:
            assert res.status == 200  # the page waits for the runner's first status
        await get_json(http, "/athlete/club/bad.id", 400)
        for asset, kind in (("app.css", "text/css"), ("dashboard.js", "javascript"), ("athlete.js", "javascript")):
            async with http.get(f"/static/{asset}") as res:
                assert res.status == 200 and kind in res.content_type
        async with http.get("/static/%2e%2e/http/app.py") as res:
            assert res.status in (403, 404)
        missing = await get_json(http, "/nope", 404)
        assert missing["status"] == 404
        async with http.delete("/api/squads") as res:
            assert res.status == 405 and (await res.json())["status"] == 405

    await run(scenario, squad_view())


async def test_openapi_document_describes_every_route() -> None:
    async def scenario(server: HttpServer, http: aiohttp.ClientSession, view: LiveView, acks: Acks) -> None:
        async with http.get("/openapi.json") as res:
            doc = json.loads(await res.text())  # valid JSON (no NaN)
        assert doc == json.loads(json.dumps(openapi()))
        assert doc["openapi"] == "3.1.0" and doc["info"]["title"]
        routes: set[tuple[str, str]] = set()
        for route in server.app.router.routes():
            path = route.resource.canonical if route.resource is not None else ""
            if path.startswith("/static") or route.method == "HEAD":
                continue
            routes.add((path, route.method.lower()))
        described = {(path, method) for path, ops in doc["paths"].items() for method in ops}
        assert described == routes
        schemas = doc["components"]["schemas"]
        for path, ops in doc["paths"].items():
            for method, op in ops.items():
                assert op["summary"] and op["responses"], (path, method)
                for param in op.get("parameters", []):
                    if param["in"] == "path":
                        assert "{" + param["name"] + "}" in path
        for ref in _refs(doc):
            assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas

    await run(scenario, squad_view())


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [node["$ref"]] if "$ref" in node else [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_openapi_status_keys_follow_the_pipeline() -> None:
    from monitor.core.pipeline import STATUS_KEYS as PIPELINE_STATUS_KEYS

    assert API_STATUS_KEYS == PIPELINE_STATUS_KEYS == STATUS_KEYS


async def test_a_port_in_use_is_a_usage_error() -> None:
    async def main() -> None:
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            with pytest.raises(UsageError, match=r"cannot serve HTTP on 127\.0\.0\.1"):
                await serve(LiveView(), "127.0.0.1", busy.getsockname()[1], ack=lambda s, a, i: None)

    await main()


async def test_query_filters_answer_as_the_document_says() -> None:
    """Every squad filter the document declares: empty (what a form sends for "all") matches its pattern and
    gets every squad; a malformed id does not match and gets a 400 (schemathesis found ``?squad=`` answered
    200 while the document's pattern refused it)."""
    doc = openapi()
    for path in ("/api/athletes", "/api/alerts", "/events"):
        (param,) = [p for p in doc["paths"][path]["get"]["parameters"] if p["name"] == "squad"]
        pattern = param["schema"]["pattern"]
        assert re.fullmatch(pattern, "") and re.fullmatch(pattern, "easy-1_A")
        assert not re.fullmatch(pattern, "a b") and not re.fullmatch(pattern, "x" * 65)

    async def scenario(server: HttpServer, http: aiohttp.ClientSession, view: LiveView, acks: Acks) -> None:
        async with http.get("/api/athletes", params={"squad": ""}) as res:
            assert res.status == 200
            assert {t["squad"] for t in await res.json()} == {"club", "track"}
        for path in ("/api/athletes", "/api/alerts", "/events"):
            async with http.get(path, params={"squad": "a b"}) as res:
                assert res.status == 400, path
        async with http.get("/api/alerts", params={"squad": ""}) as res:
            assert res.status == 200
        (param,) = [p for p in doc["paths"]["/api/alerts"]["get"]["parameters"] if p["name"] == "open"]
        for flag in ("yes", "2", "TRUE", ""):
            async with http.get("/api/alerts", params={"open": flag}) as res:
                assert (res.status == 200) == (flag in param["schema"]["enum"]), flag

    await run(scenario, squad_view())
