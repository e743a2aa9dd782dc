"""Session history and reports over HTTP, read from a real SQLite session store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest

from monitor.coach.live import LiveView
from monitor.coach.report import response
from monitor.http import serve
from monitor.http.history import REPORT_CSP
from monitor.http.models import SessionRow, StoredSession
from monitor.store.sqlite import SqliteStore
from tests.monitor.store_helpers import store_sessions
from tests.runs import EASY_PROFILE, HOT_PROFILE, easy_cool_run, hot_fast_run, hot_then_walk_run


async def _get(http: aiohttp.ClientSession, path: str, expect: int = 200) -> Any:
    async with http.get(path) as res:
        assert res.status == expect, (path, res.status, await res.text())
        return await (res.json() if res.content_type == "application/json" else res.text())


async def test_history_api_pages_and_reports(tmp_path: Path) -> None:
    db = tmp_path / "sessions.db"
    stored = await store_sessions(db, {("club", "sam"): (hot_fast_run(30), HOT_PROFILE),
                                 ("track", "kim"): (easy_cool_run(20), EASY_PROFILE)})  # fmt: skip
    sam = next(sid for sid in stored if sid.startswith("club.sam."))
    view = LiveView()
    for status in stored[sam].statuses:  # the same run is also the live view's current session
        view.add_status(status)
    for alert in stored[sam].alerts:
        view.add_alert(alert.to_dict())

    async def main() -> None:
        store = SqliteStore(str(db), read_only=True)
        await store.open()
        server = await serve(view, "127.0.0.1", 0, ack=lambda s, a, i: None, store=store)
        try:
            async with aiohttp.ClientSession(base_url=server.url) as http:
                rows = await _get(http, "/api/sessions")
                assert sorted(r["id"] for r in rows) == sorted(stored)
                for row in rows:
                    SessionRow.model_validate(row)
                club = await _get(http, "/api/sessions?squad=club")
                assert [r["id"] for r in club] == [sam] and club[0]["alerts"] == len(stored[sam].alerts) > 0
                session = await _get(http, f"/api/sessions/{sam}")
                StoredSession.model_validate(session)
                assert session["points"] == len(stored[sam].statuses) and session["session_state"] == "finished"
                assert session["hr"] == [s["hr"] for s in stored[sam].statuses]
                assert [a["id"] for a in session["alerts"]] == [a.id for a in stored[sam].alerts]
                # each alert says what the runner did in the 5 min after it, as the report's table does
                for got, alert in zip(session["alerts"], stored[sam].alerts, strict=True):
                    want = response(stored[sam].statuses, alert.to_dict())
                    assert got["response"] == pytest.approx(want) and got["response"]["after_s"] > 0
                assert "charts" in await _get(http, f"/session/{sam}")
                assert 'id="sessions"' in await _get(http, "/history?squad=club")
                await _get(http, "/api/sessions/club.nobody.1", 404)
                await _get(http, "/api/sessions/not-an-id", 400)
                await _get(http, "/api/sessions?squad=bad.id", 400)
                for path in (f"/report/session/{sam}", "/report/live/club/sam"):
                    async with http.get(path) as res:
                        assert res.status == 200 and res.content_type == "text/html"
                        assert res.headers["Content-Security-Policy"] == REPORT_CSP
                        page = await res.text()
                    assert page.count("<figure data-chart=") == 6
                    assert all(f'data-alert="{a.id}"' in page for a in stored[sam].alerts)
                await _get(http, "/report/live/club/nobody", 404)
                # a browser following a report link to a session that is not there gets a page, not raw JSON
                for path in ("/report/session/club.nobody.1", "/report/live/club/nobody", "/report/session/x<b>"):
                    async with http.get(path, headers={"Accept": "text/html,*/*;q=0.8"}) as res:
                        assert res.status in (400, 404) and res.content_type == "text/html", path
                        page = await res.text()
                    assert "<h1>" in page and 'href="/history"' in page and "<b>" not in page, page
                async with http.get("/api/sessions/club.nobody.1", headers={"Accept": "text/html"}) as res:
                    assert res.status == 404 and res.content_type == "application/json"  # the API stays JSON
        finally:
            await server.close()
            await store.close()

    await main()


async def test_without_a_store_the_history_says_so() -> None:
    async def main() -> None:
        server = await serve(LiveView(), "127.0.0.1", 0, ack=lambda s, a, i: None)
        try:
            async with aiohttp.ClientSession(base_url=server.url) as http:
                body = await _get(http, "/api/sessions", 503)
                assert "store" in body["error"]
        finally:
            await server.close()

    await main()


async def test_a_stored_session_gives_its_peak(tmp_path: Path) -> None:
    """The past-session page explains the peak with the factors at the peak, not with the last status's: the API
    gives the first status with the highest risk (its time, risk, level, factors and the readings its reasons
    quote). Here the run peaks in the heat and ends walking, with other reasons."""
    db = tmp_path / "sessions.db"
    stored = await store_sessions(db, {("club", "sam"): (hot_then_walk_run(), HOT_PROFILE)})
    ((sid, result),) = stored.items()
    statuses = result.statuses
    top = max(s["risk"] for s in statuses)
    peak = next(s for s in statuses if s["risk"] == top)
    assert top > statuses[-1]["risk"] + 0.3 and peak["factors"] != statuses[-1]["factors"]

    store = SqliteStore(str(db), read_only=True)
    await store.open()
    server = await serve(LiveView(), "127.0.0.1", 0, ack=lambda s, a, i: None, store=store)
    try:
        async with aiohttp.ClientSession(base_url=server.url) as http:
            session = await _get(http, f"/api/sessions/{sid}")
    finally:
        await server.close()
        await store.close()
    assert StoredSession.model_validate(session).peak is not None
    assert session["peak"] == {"t": peak["t"], "elapsed_s": peak["elapsed_s"], "risk": top, "level": peak["level"],
                               "factors": peak["factors"], "pace_over_training": peak["pace_over_training"],
                               "temp": peak["temp"]}  # fmt: skip
    assert session["peak"]["elapsed_s"] < session["last"]["elapsed_s"]
    # the card says "stopped" for a runner who ended standing still (pace null): the API gives the gait too
    assert session["last"]["gait_state"] == statuses[-1]["gait_state"] is not None
