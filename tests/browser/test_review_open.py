"""A stored session that is still running, opened from the History (where it is marked live), in real headless
Chromium: its page must not read as a finished one ("End of session", "past session")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from monitor.coach.live import LiveView
from monitor.core.pipeline import run_offline
from monitor.http import serve
from monitor.store import session_id
from monitor.store.base import Step
from monitor.store.sqlite import SqliteStore
from tests.browser.test_layout import _pages
from tests.monitor.store_helpers import store_sessions
from tests.runs import EASY_PROFILE, easy_cool_run

pytestmark = [pytest.mark.browser]


async def _store_open_session(db: Path) -> str:
    """The first statuses of a run, stored with its session not ended (the runner is still out)."""
    result = run_offline(easy_cool_run(20), squad="club", athlete="kim", profile=EASY_PROFILE)
    start = result.statuses[0]["session_start"]
    store = SqliteStore(str(db))
    await store.open()
    try:
        for status in result.statuses[:60]:
            store.record_step(Step("club", "kim", None, None, start, (status,)))
        assert await store.flush(10.0)
    finally:
        await store.close()
    return session_id("club", "kim", start)


async def test_a_running_session_does_not_read_as_ended(chromium: str, artifacts: Path, tmp_path: Path) -> None:
    """The page of an open session said 'End of session — 0:04:55 run' and 'past session' while the runner was
    still out; it says the session is still running, how far it is so far, and links the live page."""
    sid = await _store_open_session(tmp_path / "sessions.db")
    (done,) = await store_sessions(tmp_path / "sessions.db", {("club", "lee"): (easy_cool_run(20), EASY_PROFILE)})
    store = SqliteStore(str(tmp_path / "sessions.db"), read_only=True)
    await store.open()
    srv = await serve(LiveView(), "127.0.0.1", 0, ack=lambda s, a, i: None, store=store)

    async def check(page: Any) -> dict[str, Any]:
        await page.locator("#now .end-head").wait_for()
        live = page.locator("#now a.live-link")
        return {
            "text": await page.locator("#now").inner_text(),
            "live": await live.get_attribute("href") if await live.count() else None,
        }

    try:
        shown = await _pages(chromium, srv.url + f"session/{sid}", check, artifacts, "open-session")
        ended = await _pages(chromium, srv.url + f"session/{done}", check, artifacts, "ended-session")
    finally:
        await srv.close()
        await store.close()
    for size, got in shown.items():
        assert "End of session" not in got["text"] and "past session" not in got["text"], (size, got["text"])
        assert "So far — 0:04:55 run" in got["text"], (size, got["text"])
        assert got["live"] == "/athlete/club/kim", size
    for size, got in ended.items():
        assert "End of session" in got["text"] and "past session" in got["text"] and got["live"] is None, size


async def test_the_history_names_the_time_zone_of_its_start_times(chromium: str, tmp_path: Path) -> None:
    """The History shows start times in the browser's zone, the report and `crampwatch sessions` in UTC: a coach in
    Berlin read 23:15 on the History and 22:15 UTC on the report of the same session, the History naming no zone."""
    from playwright.async_api import async_playwright

    from tests.browser.conftest import CHROMIUM_ARGS

    await store_sessions(tmp_path / "sessions.db", {("club", "lee"): (easy_cool_run(5), EASY_PROFILE)})
    store = SqliteStore(str(tmp_path / "sessions.db"), read_only=True)
    await store.open()
    srv = await serve(LiveView(), "127.0.0.1", 0, ack=lambda s, a, i: None, store=store)
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
            try:
                page = await (await browser.new_context(timezone_id="Europe/Berlin")).new_page()
                await page.goto(srv.url + "history")
                await page.locator("#sessions td.start").wait_for()
                heading = await page.locator("#h-sessions").inner_text()
            finally:
                await browser.close()
    finally:
        await srv.close()
        await store.close()
    assert "start times in Europe/Berlin" in heading, heading


async def test_a_past_sessions_alerts_say_when_in_the_run(chromium: str, artifacts: Path, tmp_path: Path) -> None:
    """A stored session's alert list gave only the clock (22:24:28) while its charts count from the start
    (0', 30', 1h00) and the report says 0:10:00: the coach could not match an alert with its ▼ on the charts."""
    from tests.runs import HOT_PROFILE, hot_fast_run

    (sid,) = await store_sessions(tmp_path / "sessions.db", {("club", "sam"): (hot_fast_run(40), HOT_PROFILE)})
    store = SqliteStore(str(tmp_path / "sessions.db"), read_only=True)
    await store.open()
    (summary,) = await store.sessions()
    first = min(a["t"] for a in await store.alerts(sid))
    srv = await serve(LiveView(), "127.0.0.1", 0, ack=lambda s, a, i: None, store=store)

    async def check(page: Any) -> str:
        await page.locator("#feed li.alert").first.wait_for()
        return str(await page.locator("#feed li.alert time.when").last.inner_text())

    try:
        shown = await _pages(chromium, srv.url + f"session/{sid}", check, artifacts, "past-alert-times")
    finally:
        await srv.close()
        await store.close()
    e = round(first - summary.start)
    elapsed = f"{e // 3600}:{e % 3600 // 60:02d}:{e % 60:02d}"
    assert shown["phone"].startswith(f"{elapsed} into the run"), shown
    assert shown["laptop"] == shown["phone"]
