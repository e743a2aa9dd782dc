"""What a coach relies on in a race, in real headless Chromium over a real broker (Mosquitto → Monitor with a
SQLite session store → LiveView → HTTP/SSE): two squads, one busy; the small squad's feed keeps its runner's open
alerts; "Acknowledge all" sends one contract ack per kind and closes every alert; a stopped session reads
"finished" and leaves the level counts; the history page opens the past session with its alerts marked; the badge
turns red when the broker stops. Screenshots in ``test-artifacts/``. No sleeps: every wait is on a DOM condition,
a message or in-process state, with a deadline.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

from monitor.coach.live import LiveView
from monitor.core.wire import Topics, encode_frames, encode_profile, encode_session
from monitor.http import serve
from monitor.mqtt.broker import BrokerURL
from monitor.mqtt.service import Monitor
from monitor.store.sqlite import SqliteStore
from simulators.frame import Frame
from tests.brokers import BrokerProcess
from tests.browser.conftest import CHROMIUM_ARGS
from tests.browser.test_dashboard import ack_listener, until
from tests.runs import HOT_PROFILE, hot_fast_run

pytestmark = [pytest.mark.browser, pytest.mark.broker]

MINUTES = 35
BUSY = [f"b{i}" for i in range(8)]
FEED_SIZE = 6  # each squad's feed of recent alerts; the busy squad sends far more than this


async def publish_runs(broker: BrokerURL, runs: dict[tuple[str, str], list[Frame]]) -> None:
    topics = Topics()
    async with broker.client() as client:
        for squad, athlete in runs:
            profile = replace(HOT_PROFILE, name=f"{athlete.capitalize()} {squad}")
            await client.publish(topics.of(squad, athlete, "profile"), encode_profile(profile), qos=1, retain=True)
        longest = max(len(f) for f in runs.values())
        for i in range(0, longest, 120):
            for (squad, athlete), frames in runs.items():
                part = frames[i : i + 120]
                if part:
                    await client.publish(topics.of(squad, athlete, "frame"), encode_frames(part), qos=1)


async def test_two_squads_ack_all_finished_history_and_broker_health(
    chromium: str, artifacts: Path, mosquitto_proc: BrokerProcess, tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright

    broker = mosquitto_proc.url
    small = {("small", "solo"): hot_fast_run(MINUTES, seed=11)}
    busy = {("busy", name): hot_fast_run(MINUTES, seed=20 + i) for i, name in enumerate(BUSY)}
    problems: list[str] = []

    async def scenario() -> None:
        view = LiveView(feed_size=FEED_SIZE)
        store = SqliteStore(str(tmp_path / "sessions.db"))
        async with Monitor(broker, sinks=[view], store=store) as monitor, async_playwright() as pw:
            await monitor.wait_connected()
            server = await serve(view, "127.0.0.1", 0, ack=monitor.publish_ack, monitor=monitor)
            browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
            try:
                page = await browser.new_page(viewport={"width": 1280, "height": 900})
                page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
                page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)

                # 1. the small squad runs first, then the busy one floods the monitor with alerts
                await publish_runs(broker, small)
                await publish_runs(broker, busy)
                last_t = hot_fast_run(MINUTES)[-1].t - 15
                every = [*small, *busy]
                await until(lambda: all((view.status(s, a) or {}).get("t", 0) >= last_t for s, a in every), 90,
                            "every runner's last status")  # fmt: skip
                solo_alerts = view.alerts("small", "solo") or []
                busy_alerts = sum(len(view.alerts("busy", a) or []) for a in BUSY)
                assert solo_alerts and busy_alerts > 2 * FEED_SIZE  # the busy squad alone overflows a feed

                await page.goto(server.url + "?squad=small")
                group = page.locator("#feed li.runner-group[data-athlete=solo]")
                await group.wait_for(timeout=10_000)
                assert await group.locator("li.alert:not(.acked)").count() == len(solo_alerts)
                assert "No alerts yet" not in await page.inner_text("#feed")
                await page.screenshot(path=str(artifacts / "coach-small-squad-feed.png"), full_page=True)

                # 2. acknowledge all of one busy runner: one contract ack per kind, every alert closed
                await page.goto(server.url + "?squad=busy")
                b0 = view.alerts("busy", "b0") or []
                kinds = {a["kind"] for a in b0}
                button = page.locator("#feed li.runner-group[data-athlete=b0] button.ack-all")
                await button.wait_for(timeout=10_000)
                await page.screenshot(path=str(artifacts / "coach-busy-squad-before-ack-all.png"), full_page=True)
                async with ack_listener(broker) as acks:
                    await button.click()
                    got = [await asyncio.wait_for(acks.get(), 10) for _ in kinds]
                assert {topic for topic, _ in got} == {"crampwatch/v1/busy/b0/ack"}
                assert {p["alert_id"] for _, p in got} <= {a["id"] for a in b0}
                await page.wait_for_selector("#feed li.runner-group[data-athlete=b0]", state="detached", timeout=5_000)
                assert all(a["acked"] for a in view.alerts("busy", "b0") or [])
                assert await page.locator("#feed li.runner-group[data-athlete=b1]").count() == 1  # others stay open
                await page.screenshot(path=str(artifacts / "coach-busy-squad-after-ack-all.png"), full_page=True)

                # 3. the small squad's runner stops
                await page.goto(server.url + "?squad=small")
                async with broker.client() as client:
                    await client.publish(Topics().of("small", "solo", "session"),
                                         encode_session(small[("small", "solo")][-1].t + 1, "stop"), qos=1)  # fmt: skip
                # 4. the history page lists the stored session and opens it in the athlete view
                await store.flush(10.0)
                await page.goto(server.url + "history?squad=small")
                row = page.locator("#sessions tbody tr[data-id^='small.solo.']")
                await row.wait_for(timeout=10_000)
                await page.screenshot(path=str(artifacts / "coach-history.png"), full_page=True)
                await row.locator("a.who").click()
                await page.wait_for_url("**/session/small.solo.*", timeout=5_000)
                for key in ("risk", "hr", "pace", "cadence", "stride_m", "temp"):
                    await page.wait_for_selector(f"figure[data-key={key}] canvas", timeout=10_000)
                fig = page.locator("figure[data-key=risk]")
                assert int(await fig.get_attribute("data-alerts") or "0") == len(solo_alerts)
                assert int(await fig.get_attribute("data-points") or "0") >= MINUTES * 12 - 10
                assert await page.locator("#feed li.alert").count() == len(solo_alerts)
                report = await page.get_attribute("#report-link", "href") or ""
                assert report.startswith("/report/session/small.solo.")
                await page.screenshot(path=str(artifacts / "coach-past-session.png"), full_page=True)

                # 5. the stopped runner's tile reads "finished" and leaves the level counts
                await page.goto(server.url + "?squad=small")
                tile = page.locator("#tiles .tile[data-athlete=solo]")
                await page.wait_for_selector("#tiles .tile[data-athlete=solo][data-state=finished]", timeout=15_000)
                assert "finished" in (await tile.inner_text()).lower()
                chips = await page.inner_text("#summary")
                assert "1 finished" in chips and not any(w in chips for w in ("critical", "high", "elevated"))
                await page.screenshot(path=str(artifacts / "coach-finished.png"), full_page=True)

                # 6. the broker stops: the badge turns red ("broker down"), not only on a lost browser link
                await page.goto(server.url)
                await page.wait_for_selector("#conn[data-state=live]", timeout=10_000)
                mosquitto_proc.stop()
                await page.wait_for_selector("#conn[data-state=down]", timeout=15_000)
                assert await page.inner_text("#conn") == "broker down"
                await page.screenshot(path=str(artifacts / "coach-broker-down.png"))
            finally:
                await browser.close()
                await server.close()

    await scenario()
    assert not problems, problems
