"""What a coach sees on a phone (390 px) and a laptop (1400 px), in real headless Chromium: no reading runs into
its neighbour on a tile, the runner's full name is readable on their page, the history table fits the phone and
its peak-risk chips stay on one line. The pages are served from a live view and a SQLite session store filled
with the offline pipeline's statuses (no broker needed). Screenshots in ``test-artifacts/``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any, Final

import pytest

from monitor.coach.live import LiveView
from monitor.coach.words import BANDS, LEVELS
from monitor.core.pipeline import run_offline
from monitor.http import HttpServer, serve
from monitor.store.sqlite import SqliteStore
from simulators.frame import Frame
from tests.browser.conftest import CHROMIUM_ARGS
from tests.monitor.store_helpers import store_sessions
from tests.runs import EASY_PROFILE, HOT_PROFILE, T0, easy_cool_run, hot_fast_run

pytestmark = [pytest.mark.browser]

LONG_NAME = "Maximiliana Alexandrovna Konstantinopolskaya-Wolfeschlegelsteinhausen"
LONG_ID = "a_runner_id_of_fifty_six_characters_without_any_spaces_x"  # no name in the profile: the id is shown
LONG_MESSAGE = "https://coach.example.org/plans/" + "a" * 48  # 80 characters (the contract's most), no space
PHONE: Final = {"width": 390, "height": 844}
LAPTOP: Final = {"width": 1400, "height": 900}

#: readings whose text is wider than their grid cell (they would run into the next one)
OVERFLOWING_JS = """() => Array.from(document.querySelectorAll('.metric dd'))
  .filter(dd => dd.scrollWidth > dd.clientWidth + 1)
  .map(dd => dd.closest('.metric').querySelector('dt').textContent + ': ' + dd.textContent)"""


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The session store every page reads, filled once for the module (the server opens it read-only)."""
    import asyncio

    db = tmp_path_factory.mktemp("layout") / "sessions.db"
    runs = {("club", "sam"): (hot_fast_run(40), replace(HOT_PROFILE, name=LONG_NAME)),
            ("club", "kim"): (easy_cool_run(130), EASY_PROFILE),
            ("club", "lee"): (easy_cool_run(20), replace(EASY_PROFILE, name="Lee", training_pace=270)),
            ("club", LONG_ID): (hot_fast_run(20, seed=3), replace(HOT_PROFILE, name=None))}  # fmt: skip
    return db, asyncio.run(store_sessions(db, runs))


@pytest.fixture
async def server(stored: tuple[Path, dict[str, Any]]) -> AsyncIterator[HttpServer]:
    db, results = stored
    view = LiveView()
    for result in results.values():
        for status in result.statuses:
            view.add_status(status)
        for alert in result.alerts:
            view.add_alert(alert.to_dict())
    last = results[next(k for k in results if LONG_ID in k)].statuses[-1]
    view.add_alert({"id": "long-message-1", "t": last["t"], "squad": "club", "athlete": LONG_ID,
                    "level": "advice", "kind": "hydrate", "risk": 0.3, "message": LONG_MESSAGE,
                    "detail": LONG_MESSAGE, "factors": {}})  # fmt: skip
    store = SqliteStore(str(db), read_only=True)
    await store.open()
    srv = await serve(view, "127.0.0.1", 0, ack=lambda s, a, i: None, store=store)
    try:
        yield srv
    finally:
        await srv.close()
        await store.close()


async def _pages(chromium: str, url: str, check: Any, artifacts: Path, name: str) -> dict[str, Any]:
    """``check(page)`` at phone and laptop width; {viewport name: its answer}."""
    from playwright.async_api import async_playwright

    out: dict[str, Any] = {}
    errors: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            for size, viewport in (("phone", PHONE), ("laptop", LAPTOP)):
                page = await browser.new_page(viewport={"width": viewport["width"], "height": viewport["height"]})
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                await page.goto(url)
                out[size] = await check(page)
                await page.screenshot(path=str(artifacts / f"layout-{name}-{size}.png"), full_page=True)
                await page.close()
        finally:
            await browser.close()
    assert not errors, errors
    return out


async def test_tile_readings_never_run_into_each_other(chromium: str, artifacts: Path, server: HttpServer) -> None:
    async def check(page: Any) -> list[str]:
        await page.wait_for_selector(".tile[data-athlete='kim'] .metric dd")
        return list(await page.evaluate(OVERFLOWING_JS))

    shown = await _pages(chromium, server.url, check, artifacts, "squad")
    assert shown == {"phone": [], "laptop": []}


async def test_the_squad_page_never_scrolls_sideways(chromium: str, artifacts: Path, server: HttpServer) -> None:
    """A 56-character id without a space (a runner without a name) in the alert feed and on a tile, and an
    80-character message without a space (a link) in the feed, on the tile and on the runner's page."""

    async def check(page: Any) -> int:
        await page.wait_for_selector(f".runner-group[data-athlete='{LONG_ID}'] .who")
        await page.wait_for_selector(f".tile[data-athlete='{LONG_ID}'] .last-alert:has-text('coach.example')")
        return int(await page.evaluate("document.documentElement.scrollWidth"))

    async def runner(page: Any) -> int:
        await page.wait_for_selector("#feed .message:has-text('coach.example')")
        for details in await page.locator("#feed details").all():
            await details.evaluate("d => d.open = true")
        return int(await page.evaluate("document.documentElement.scrollWidth"))

    shown = await _pages(chromium, server.url, check, artifacts, "feed")
    assert shown == {"phone": PHONE["width"], "laptop": LAPTOP["width"]}
    shown = await _pages(chromium, server.url + f"athlete/club/{LONG_ID}", runner, artifacts, "long-message")
    assert shown == {"phone": PHONE["width"], "laptop": LAPTOP["width"]}


async def test_the_runners_page_shows_the_whole_name(chromium: str, artifacts: Path, server: HttpServer) -> None:
    async def check(page: Any) -> dict[str, Any]:
        await page.wait_for_selector("#now .metric dd")
        name = page.locator("#now .name")
        return {"text": await name.text_content(), "cut": await name.evaluate("n => n.scrollWidth > n.clientWidth"),
                "overflowing": await page.evaluate(OVERFLOWING_JS)}  # fmt: skip

    shown = await _pages(chromium, server.url + "athlete/club/sam", check, artifacts, "athlete")
    for size in ("phone", "laptop"):
        assert shown[size] == {"text": LONG_NAME, "cut": False, "overflowing": []}, size


async def test_the_history_fits_a_phone(chromium: str, artifacts: Path, server: HttpServer) -> None:
    async def check(page: Any) -> Any:
        await page.wait_for_selector("#sessions tbody tr[data-id]")
        return await page.evaluate("""() => ({
          pageWidth: document.documentElement.scrollWidth,
          chipLines: Array.from(document.querySelectorAll('#sessions .chip')).map(c => c.getClientRects().length),
          durations: Array.from(document.querySelectorAll('#sessions tbody tr'))
            .map(tr => tr.querySelectorAll('td')[3].textContent),
        })""")

    shown = await _pages(chromium, server.url + "history", check, artifacts, "history")
    assert shown["phone"]["pageWidth"] <= PHONE["width"]
    for size in ("phone", "laptop"):
        assert shown[size]["chipLines"] == [1, 1, 1, 1], size
        # h:mm:ss like `crampwatch sessions`: a 40-minute run never reads like 40 hours, nor 0:40 like 40 minutes
        assert sorted(shown[size]["durations"]) == ["0:19:55", "0:19:55", "0:39:55", "2:09:55"], size


async def test_the_pace_chart_draws_the_target_it_promises(chromium: str, artifacts: Path, server: HttpServer) -> None:
    """Lee runs 5:30/km against a 4:30 training pace: "dashed blue: target pace" is on the chart, not above it."""

    async def check(page: Any) -> list[float]:
        pace = page.locator("figure[data-key='pace'][data-y-range]")
        await pace.wait_for()
        return [float(v) for v in (await pace.get_attribute("data-y-range") or "").split(",")]

    shown = await _pages(chromium, server.url + "athlete/club/lee", check, artifacts, "pace")
    for size, (fast, slow) in shown.items():
        assert fast < 270 < slow and slow > 330, size


async def test_a_low_risk_line_is_not_hidden_under_the_level_strip(
    chromium: str, artifacts: Path, server: HttpServer
) -> None:
    async def check(page: Any) -> Any:
        await page.locator("figure[data-key='risk'][data-y-range]").wait_for()
        return await page.evaluate("""() => {
          const fig = document.querySelector("figure[data-key='risk']");
          const [lo, hi] = fig.dataset.yRange.split(",").map(Number);
          return (0 - lo) / (hi - lo) * fig.querySelector(".u-over").clientHeight;
        }""")

    shown = await _pages(chromium, server.url + "athlete/club/kim", check, artifacts, "risk")
    for size, zero_above_bottom_px in shown.items():
        assert zero_above_bottom_px >= 6, size  # the strip is 6 px tall


async def test_the_pages_say_what_the_risk_means(chromium: str, artifacts: Path, server: HttpServer) -> None:
    """A tile's "49 % risk" reads as a 49 % chance of a cramp; it is a relative index (docs/science.md). Both pages say
    so, with the words' bands as the server keeps them (``words.BANDS``)."""

    async def check(page: Any) -> str:
        await page.locator("#risk-help summary").click()
        return " ".join((await page.locator("#risk-help").inner_text()).split()).lower()

    bands = [f"{w} {round(100 * BANDS[w][0])}–{round(100 * BANDS[w][1])} %" for w in LEVELS]
    for path in ("", "athlete/club/sam"):
        shown = await _pages(chromium, server.url + path, check, artifacts, "help")
        for size, text in shown.items():
            assert "not the chance of a cramp" in text and all(b in text for b in bands), (path, size, text)


async def test_the_tab_title_names_a_cramp(chromium: str, artifacts: Path) -> None:
    """A coach with the dashboard in a background tab sees the worst runner in its title: a cramp (the word the
    tile shows, however low the level under it) as much as a high risk."""
    view = LiveView()
    result = run_offline(easy_cool_run(12), squad="club", athlete="kim", profile=EASY_PROFILE)
    for status in result.statuses:
        view.add_status(status)
    last = result.statuses[-1]
    assert last["level"] == "low"
    view.add_alert({"id": "kim-cramp-1", "t": last["t"], "squad": "club", "athlete": "kim", "level": "critical",
                    "kind": "stop_and_stretch", "risk": last["risk"], "message": "Cramp signs: stop and stretch.",
                    "detail": "", "factors": {}})  # fmt: skip
    srv = await serve(view, "127.0.0.1", 0, ack=lambda s, a, i: None)

    async def check(page: Any) -> str:
        await page.wait_for_selector(".tile[data-level='cramp']")
        return str(await page.title())

    try:
        shown = await _pages(chromium, srv.url, check, artifacts, "title")
    finally:
        await srv.close()
    assert shown == {"phone": "Cramp: Easy — crampwatch", "laptop": "Cramp: Easy — crampwatch"}


async def test_no_report_link_before_the_runner_has_a_session(
    chromium: str, artifacts: Path, server: HttpServer
) -> None:
    """A runner not seen yet: the page waits, and offers no "Report" that would open a JSON 404."""

    async def check(page: Any) -> dict[str, bool]:
        await page.wait_for_selector("#now .empty:has-text('waiting')")
        seen = await page.locator("#report-link").is_visible()
        await page.goto(page.url.replace("/nobody", "/sam"))
        await page.wait_for_selector("#now .metric dd")
        return {"nobody": seen, "sam": await page.locator("#report-link").is_visible()}

    shown = await _pages(chromium, server.url + "athlete/club/nobody", check, artifacts, "nobody")
    assert shown == {"phone": {"nobody": False, "sam": True}, "laptop": {"nobody": False, "sam": True}}


async def test_an_unknown_past_session_does_not_wait(chromium: str, artifacts: Path, server: HttpServer) -> None:
    """A stale link to a stored session: it will never come, so the page does not say "waiting"."""

    async def check(page: Any) -> str:
        return str(await page.locator("#now .empty:not(:has-text('Loading'))").inner_text())

    shown = await _pages(chromium, server.url + "session/club.nobody.1732400000000", check, artifacts, "unknown")
    assert shown == {"phone": "No such session in the store.", "laptop": "No such session in the store."}


async def test_a_stream_that_never_reported_says_no_data(chromium: str, artifacts: Path) -> None:
    """A heart-rate-only strap: the pace, cadence, stride and temperature charts say "No data", not an empty plot
    on a made-up axis ("0:00" /km, "0" spm, 0.00-1.00 m)."""
    view = LiveView()
    frames = [Frame(t=T0 + i, hr=140.0 + i % 7) for i in range(300)]
    for status in run_offline(frames, squad="club", athlete="hronly", profile=EASY_PROFILE).statuses:
        view.add_status(status)
    srv = await serve(view, "127.0.0.1", 0, ack=lambda s, a, i: None)

    async def check(page: Any) -> Any:
        await page.wait_for_selector("figure[data-key='temp']")
        return await page.evaluate("""() => Object.fromEntries(Array.from(document.querySelectorAll('figure'))
          .map(f => [f.dataset.key, f.querySelector('canvas') ? 'chart' : f.querySelector('.plot').innerText]))""")

    try:
        shown = await _pages(chromium, srv.url + "athlete/club/hronly", check, artifacts, "hronly")
    finally:
        await srv.close()
    none = "No data this session."
    for size, charts in shown.items():
        assert charts == {"risk": "chart", "hr": "chart", "pace": none, "cadence": none, "stride_m": none,
                          "temp": none}, size  # fmt: skip


async def test_a_quiet_runner_does_not_read_signal_ok(chromium: str, artifacts: Path) -> None:
    """The gateway went silent: the monitor re-publishes the last status (``wall_idle_s``) and the tile says
    "quiet — no data"; the last status's "signal ok" beside it said the opposite."""
    view = LiveView()
    statuses = run_offline(easy_cool_run(5), squad="club", athlete="kim", profile=EASY_PROFILE).statuses
    for status in statuses:
        view.add_status(status)
    assert statuses[-1]["signal"] == "ok"
    view.add_status({**statuses[-1], "wall_idle_s": 16.0, "session_state": "quiet"})  # as the monitor re-publishes it
    srv = await serve(view, "127.0.0.1", 0, ack=lambda s, a, i: None)

    async def check(page: Any) -> Any:
        foot = page.locator(".tile[data-state='quiet'] .tile-foot")
        await foot.wait_for()
        return " ".join((await foot.inner_text()).split())

    try:
        shown = await _pages(chromium, srv.url, check, artifacts, "quiet")
    finally:
        await srv.close()
    for size, foot in shown.items():
        assert "quiet — no data" in foot and "signal" not in foot, (size, foot)


#: the lowest contrast ratio (WCAG 2) of any text on a tile, with the tile's opacity composited over the page
CONTRAST_JS = """(sel) => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lin = (v) => (v / 255 <= 0.03928 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4);
  const lum = ([r, g, b]) => 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  const over = (top, a, under) => top.map((v, i) => a * v + (1 - a) * under[i]);
  const page = rgb(getComputedStyle(document.body).backgroundColor);
  let worst = [99, ""];
  for (const tile of document.querySelectorAll(sel)) {
    const o = Number(getComputedStyle(tile).opacity);
    const bg = rgb(getComputedStyle(tile).backgroundColor);
    const tileBg = over(bg.slice(0, 3), bg.length > 3 ? bg[3] : 1, page);
    for (const node of tile.querySelectorAll("dt, dd, .risk-label, .reason, .last-alert, .tile-foot span, .name")) {
      if (!node.textContent.trim() || node.closest(".session, .signal, .lvl-word")) continue;  // chips: own background
      const c = rgb(getComputedStyle(node).color);
      const fg = over(over(c.slice(0, 3), c.length > 3 ? c[3] : 1, tileBg), o, page);
      const back = over(tileBg, o, page);
      const [hi, lo] = [lum(fg), lum(back)].sort((x, y) => y - x);
      const ratio = (hi + 0.05) / (lo + 0.05);
      if (ratio < worst[0]) worst = [ratio, tile.dataset.athlete + ": " + node.textContent.trim()];
    }
  }
  return worst;
}"""


async def test_finished_and_quiet_tiles_stay_readable(chromium: str, artifacts: Path) -> None:
    """Finished runners are set apart (desaturated, last), but a coach reviews them: every text on their tiles, the
    small labels too, keeps WCAG AA contrast (4.5:1). Faded to 60 % opacity they fell to about 2.5:1."""
    view = LiveView()
    for athlete, run in (("kim", easy_cool_run(6)), ("sam", hot_fast_run(6))):
        statuses = run_offline(run, squad="club", athlete=athlete, profile=EASY_PROFILE).statuses
        for status in statuses:
            view.add_status(status)
        state = "finished" if athlete == "kim" else "quiet"
        view.add_status({**statuses[-1], "wall_idle_s": 16.0, "session_state": state})
    srv = await serve(view, "127.0.0.1", 0, ack=lambda s, a, i: None)

    async def check(page: Any) -> Any:
        await page.wait_for_selector(".tile[data-state='finished'] .metric dd")
        await page.wait_for_selector(".tile[data-state='quiet'] .metric dd")
        return await page.evaluate(CONTRAST_JS, ".tile")

    try:
        shown = await _pages(chromium, srv.url, check, artifacts, "finished")
    finally:
        await srv.close()
    for size, (ratio, where) in shown.items():
        assert ratio >= 4.5, (size, round(ratio, 2), where)


async def test_an_unknown_past_session_shows_no_green_card_nor_empty_panels(
    chromium: str, artifacts: Path, server: HttpServer
) -> None:
    """A stale link to a stored session said 'No such session' on a green (low-risk) card, above an empty chart
    panel ('No data yet this session.') and 'No alerts this session.': as if a calm session existed. The card is
    neutral and the panels of a session that is not there are hidden."""

    async def check(page: Any) -> dict[str, Any]:
        await page.locator("#now .empty:not(:has-text('Loading'))").wait_for()
        return {
            "border": await page.locator("#now").evaluate("e => getComputedStyle(e).borderLeftColor"),
            "panels": await page.locator("section.charts:visible, section.alerts:visible").count(),
        }

    shown = await _pages(chromium, server.url + "session/club.nobody.1732400000000", check, artifacts, "unknown-card")
    green = "rgb(46, 125, 50)"  # --low
    assert shown["phone"] == shown["laptop"]
    assert shown["laptop"]["border"] != green and shown["laptop"]["panels"] == 0, shown
