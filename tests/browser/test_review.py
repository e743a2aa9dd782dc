"""What a coach reviewing finished sessions sees, in real headless Chromium, on a phone (390 px) and a laptop: a past
session explains its peak (when, and the factors then) apart from how it ended, and the history's essential
columns fit a phone without scrolling sideways. Served from a SQLite session store filled with the offline
pipeline's statuses (no broker). Screenshots in ``test-artifacts/``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from monitor.coach.live import LiveView
from monitor.coach.words import BANDS, MIN_REASON, TRAITS, display_risk, reason_text
from monitor.http import HttpServer, serve
from monitor.store.sqlite import SqliteStore
from simulators.frame import Frame
from tests.browser.conftest import CHROMIUM_ARGS
from tests.browser.test_layout import PHONE, _pages
from tests.monitor.store_helpers import store_sessions
from tests.runs import EASY_PROFILE, HOT_PROFILE, T0, easy_cool_run, hot_then_walk_run

pytestmark = [pytest.mark.browser]


@pytest.fixture
async def stored(tmp_path: Path) -> AsyncIterator[tuple[HttpServer, dict[str, Any]]]:
    db = tmp_path / "sessions.db"
    runs = {("club", "sam"): (hot_then_walk_run(), HOT_PROFILE), ("club", "kim"): (easy_cool_run(20), EASY_PROFILE),
            ("club", "hr"): ([Frame(t=T0 + i, hr=140.0 + i % 7) for i in range(600)], EASY_PROFILE)}  # fmt: skip
    sessions = await store_sessions(db, runs)
    store = SqliteStore(str(db), read_only=True)
    await store.open()
    srv = await serve(LiveView(), "127.0.0.1", 0, ack=lambda s, a, i: None, store=store)
    try:
        yield srv, sessions
    finally:
        await srv.close()
        await store.close()


def _hms(seconds: float) -> str:
    t = round(seconds)
    return f"{t // 3600}:{t % 3600 // 60:02d}:{t % 60:02d}"


def _reasons(status: dict[str, Any]) -> list[str]:
    """The live page's words for a status's reasons (largest first, profile traits and small ones left out)."""
    named = [(v, k) for k, v in status["factors"].items() if k not in TRAITS and v >= MIN_REASON]
    return [reason_text(k, status) for _, k in sorted(named, reverse=True)[:4]]


async def test_a_past_session_explains_its_peak(
    chromium: str, artifacts: Path, stored: tuple[HttpServer, dict[str, Any]]
) -> None:
    """The run peaks in the heat and ends walking: the card gave the peak's word and risk with the LAST status's
    reasons, which do not explain it. Now: the peak, when, the reasons then; the readings under "End of session"."""
    server, sessions = stored
    sid = next(k for k in sessions if ".sam." in k)
    statuses = sessions[sid].statuses
    peak = max(statuses, key=lambda s: s["risk"])  # max() keeps the first of equals, as the API
    last = statuses[-1]
    assert _reasons(peak) != _reasons(last)
    shown_end = display_risk(last["level"], last["risk"])  # a number beside a word stays in its band, as on a tile
    assert shown_end is not None and shown_end != last["risk"]  # this run ends "elevated" at a risk under 0.25

    async def check(page: Any) -> Any:
        await page.wait_for_selector("#now .metric dd")
        return await page.evaluate("""() => ({
          word: document.querySelector('#now .lvl-word').textContent,
          head: document.querySelector('#now .peak-head')?.textContent,
          reasons: Array.from(document.querySelectorAll('#now .reasons li')).map(li => li.textContent),
          end: document.querySelector('#now .end-head')?.textContent,
          hr: document.querySelector('#now .metric dd').textContent,
          bands: CW.BANDS,
        })""")

    shown = await _pages(chromium, server.url + f"session/{sid}", check, artifacts, "past-peak")
    for card in shown.values():
        assert card.pop("bands") == {w: list(b) for w, b in BANDS.items()}  # the page's bands are the server's
    word = peak["level"].capitalize()
    for size, card in shown.items():
        assert card == {
            "word": f"peak {word}",
            "head": f"Peak {word} {round(100 * peak['risk'])} % at {_hms(peak['elapsed_s'])} — reasons at the peak:",
            "reasons": _reasons(peak),
            "end": f"End of session — {_hms(last['elapsed_s'])} run · {last['level'].capitalize()} "
            f"{round(100 * shown_end)} %",
            "hr": f"{round(last['hr'])} bpm",
        }, size


async def test_a_calm_past_session_says_nothing_stood_out(
    chromium: str, artifacts: Path, stored: tuple[HttpServer, dict[str, Any]]
) -> None:
    """A heart-rate-only session that never had a reason: the card says so, and no stray "null" under it."""
    server, sessions = stored
    sid = next(k for k in sessions if ".hr." in k)
    peak = max(sessions[sid].statuses, key=lambda s: s["risk"])
    assert _reasons(peak) == []

    async def check(page: Any) -> Any:
        await page.wait_for_selector("#now .metric dd")
        return await page.evaluate("""() => ({
          head: document.querySelector('#now .peak-head')?.textContent,
          lists: document.querySelectorAll('#now .reasons').length,
          text: document.querySelector('#now').innerText,
        })""")

    shown = await _pages(chromium, server.url + f"session/{sid}", check, artifacts, "past-calm")
    for size, card in shown.items():
        head = f"Peak Low {round(100 * peak['risk'])} % at {_hms(peak['elapsed_s'])} — no risk factor stood out."
        assert card["head"] == head and card["lists"] == 0, size
        assert not any(w in card["text"] for w in ("null", "undefined", "NaN")), (size, card["text"])


async def test_the_history_shows_the_essentials_on_a_phone(
    chromium: str, artifacts: Path, stored: tuple[HttpServer, dict[str, Any]]
) -> None:
    """On a phone the table showed runner and squad, and the rest only when scrolled sideways: each session's
    runner, start, duration and peak are now on screen (stacked), the laptop keeps the table."""
    server, sessions = stored

    async def check(page: Any) -> Any:
        await page.wait_for_selector("#sessions tbody tr[data-id]")
        return await page.evaluate("""() => Array.from(document.querySelectorAll('#sessions tbody tr')).map(tr => {
          const tds = tr.querySelectorAll('td');
          return [0, 2, 3, 5].map(i => {
            const r = tds[i].getBoundingClientRect();
            return r.width > 0 && r.left >= 0 && r.right <= window.innerWidth && tds[i].innerText.trim() !== '';
          });
        })""")

    shown = await _pages(chromium, server.url + "history", check, artifacts, "history-stacked")
    assert shown["phone"] == [[True] * 4] * len(sessions), f"not on a {PHONE['width']} px screen: {shown['phone']}"
    assert shown["laptop"] == [[True] * 4] * len(sessions)


@pytest.mark.parametrize(("locale", "zone"), [("en-US", "America/New_York"), ("de-DE", "Europe/Berlin")])
async def test_dates_read_the_same_in_every_locale(
    chromium: str, stored: tuple[HttpServer, dict[str, Any]], locale: str, zone: str
) -> None:
    """A session's start in the history and under a past session's card: the browser's locale format ("11/23/2024"
    in the US, "23.11.2024" in Germany) is now 2024-11-23 17:13, in the browser's own time zone."""
    from playwright.async_api import async_playwright

    server, sessions = stored
    sid = next(k for k in sessions if ".sam." in k)
    start = sessions[sid].statuses[0]["session_start"]
    local = datetime.fromtimestamp(start, ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
    errors: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            context = await browser.new_context(locale=locale, timezone_id=zone)
            page = await context.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            await page.goto(server.url + "history")
            cell = page.locator(f'#sessions tr[data-id="{sid}"] td.start')
            await cell.wait_for()
            history = await cell.inner_text()
            await page.goto(server.url + f"session/{sid}")
            await page.wait_for_selector("#now .tile-foot .session")
            card = await page.locator("#now .tile-foot .session").inner_text()
        finally:
            await browser.close()
    assert not errors, errors
    assert history.strip() == local, (locale, history)
    assert card.strip() == f"past session · {local}", (locale, card)


def _pace(s: float | None) -> str:
    return "—" if s is None else f"{round(s) // 60}:{round(s) % 60:02d}"


async def test_each_past_alert_says_what_the_runner_did_after_it(
    chromium: str, artifacts: Path, stored: tuple[HttpServer, dict[str, Any]]
) -> None:
    """The report said what the runner did after each alert; the session page, where a coach reviews, did not. Each
    alert card now reads "Next 5 min: pace a → b /km · cadence c → d spm" (· stopped or walked N s), the report's
    numbers."""
    from monitor.coach.report import response

    server, sessions = stored
    sid = next(k for k in sessions if ".sam." in k)
    stored_run = sessions[sid]
    assert stored_run.alerts
    want = []
    for alert in reversed(stored_run.alerts):  # the page lists the newest first
        r = response(stored_run.statuses, alert.to_dict())
        span = "Next 5 min" if r["after_s"] >= 300 else f"Next {round(r['after_s'])} s"
        if r["pace_after"] is None and r["stopped_s"]:
            pace = f"{_pace(r['pace_before'])} /km → not running"
        else:
            pace = f"{_pace(r['pace_before'])} → {_pace(r['pace_after'])} /km"
        cadence = " → ".join("—" if c is None else f"{c:.0f}" for c in (r["cadence_before"], r["cadence_after"]))
        text = f"{span}: pace {pace} · cadence {cadence} spm"
        want.append(text + (f" · stopped or walked {round(r['stopped_s'])} s" if r["stopped_s"] else ""))

    async def check(page: Any) -> Any:
        await page.wait_for_selector("#feed li.alert p.after")
        return await page.evaluate("() => Array.from(document.querySelectorAll('#feed li.alert')).map("
                                   "li => li.querySelector('p.after')?.textContent)")  # fmt: skip

    shown = await _pages(chromium, server.url + f"session/{sid}", check, artifacts, "past-after-alerts")
    for size, lines in shown.items():
        assert lines == want, size
