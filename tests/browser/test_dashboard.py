"""The coach's dashboard in real headless Chromium, fed end to end: Mosquitto → Monitor → LiveView → HTTP/SSE.

A simulated squad is published through Mosquitto as fast as possible; the test then checks what a coach
relies on: tiles appear and change, the riskiest runner comes first, an alert reaches the feed, and clicking
Acknowledge sends the contract ack that the monitor receives. Screenshots land in ``test-artifacts/``.
Every wait is on a DOM condition or a message, with a timeout; nothing sleeps to synchronise.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from monitor.coach.live import LiveView
from monitor.core.wire import Topics, encode_frames, encode_profile
from monitor.http import HttpServer, serve
from monitor.mqtt.broker import BrokerURL
from monitor.mqtt.service import Monitor
from processors.profile import Profile
from simulators.frame import Frame
from tests.browser.conftest import CHROMIUM_ARGS
from tests.runs import EASY_PROFILE, HOT_PROFILE, T0, easy_cool_run, hot_fast_run

pytestmark = [pytest.mark.browser, pytest.mark.broker]

MINUTES = 45
WARM_PROFILE = Profile(name="Jonas Berg", sex="male", age=38, hr_max=188, hr_rest=52, training_pace=330)
SQUAD: dict[tuple[str, str], Profile] = {
    ("club", "sam"): replace(HOT_PROFILE, name="Sam Okafor"),
    ("club", "lena"): replace(EASY_PROFILE, name="Lena Fischer"),
    ("club", "jonas"): WARM_PROFILE,
    ("track", "kim"): replace(EASY_PROFILE, name="Kim Park"),
}


def warm_run(minutes: float = MINUTES, seed: int = 4) -> list[Frame]:
    """About 4 % faster than training pace at 22 °C, steady cadence: somewhere between easy and hot."""
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(int(minutes * 60)):
        hr = 132 + 14 * min(1.0, i / 300) + 8 * i / (minutes * 60) + rng.normal(0, 1.5)
        frames.append(Frame(t=T0 + i, hr=round(hr, 1), pace=round(317 + rng.normal(0, 3), 1),
                            cadence=round(174 - 3 * i / (minutes * 60) + rng.normal(0, 1.0), 1),
                            temp=22.0 if i % 30 == 0 else None))  # fmt: skip
    return frames


def squad_runs() -> dict[tuple[str, str], list[Frame]]:
    return {
        ("club", "sam"): hot_fast_run(MINUTES),
        ("club", "lena"): easy_cool_run(MINUTES),
        ("club", "jonas"): warm_run(),
        ("track", "kim"): easy_cool_run(MINUTES, seed=5),
    }


async def publish(broker: BrokerURL, runs: dict[tuple[str, str], Sequence[Frame]], *, profiles: bool) -> None:
    """Publish every athlete's frames (lists of 60, QoS 1) as fast as possible, interleaved like a squad."""
    topics = Topics()
    async with broker.client() as client:
        if profiles:
            for (squad, athlete), profile in SQUAD.items():
                topic = topics.of(squad, athlete, "profile")
                await client.publish(topic, encode_profile(profile), qos=1, retain=True)
        longest = max(len(f) for f in runs.values())
        for i in range(0, longest, 60):
            for (squad, athlete), frames in runs.items():
                part = list(frames[i : i + 60])
                if part:
                    await client.publish(topics.of(squad, athlete, "frame"), encode_frames(part), qos=1)


@contextlib.asynccontextmanager
async def ack_listener(broker: BrokerURL) -> AsyncIterator[asyncio.Queue[tuple[str, dict[str, Any]]]]:
    """Every ``…/ack`` message on the broker, as (topic, payload)."""
    queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
    ready = asyncio.Event()

    async def listen() -> None:
        async with broker.client() as client:
            await client.subscribe(f"{Topics().prefix}/+/+/ack", qos=1)
            ready.set()
            async for msg in client.messages:
                payload = msg.payload if isinstance(msg.payload, bytes | str) else b"null"
                queue.put_nowait((str(msg.topic), json.loads(payload)))

    task = asyncio.create_task(listen())
    try:
        await asyncio.wait_for(ready.wait(), 10)
        yield queue
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Wait for a condition on in-process state (polled every 20 ms) with a deadline."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.02)


TILE_ORDER_JS = """() => Array.from(document.querySelectorAll('#tiles .tile')).map(t => ({
    athlete: t.dataset.athlete, squad: t.dataset.squad, level: t.dataset.level,
    risk: parseFloat(t.dataset.risk), text: t.innerText}))"""
LEVELS = ["low", "elevated", "high", "critical", "cramp"]


async def test_live_dashboard_end_to_end(chromium: str, artifacts: Path, mosquitto: BrokerURL) -> None:
    from playwright.async_api import ConsoleMessage, Page, async_playwright

    runs = squad_runs()
    problems: list[str] = []

    def watch_console(page: Page) -> None:
        def on_console(msg: ConsoleMessage) -> None:
            if msg.type == "error":
                problems.append(f"console: {msg.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))

    async def scenario() -> None:
        view = LiveView()
        async with Monitor(mosquitto, sinks=[view]) as monitor, async_playwright() as pw:
            await monitor.wait_connected()
            server: HttpServer = await serve(view, "127.0.0.1", 0, ack=monitor.publish_ack)
            browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
            try:
                page = await browser.new_page(viewport={"width": 1280, "height": 900})
                watch_console(page)
                await page.goto(server.url)
                await page.wait_for_selector("#conn[data-state=live]", timeout=10_000)
                assert "Waiting for the first runner" in await page.inner_text("#tiles")

                # 1. the first five minutes: a tile per runner appears
                await publish(mosquitto, {k: f[:300] for k, f in runs.items()}, profiles=True)
                await page.wait_for_function(
                    "() => document.querySelectorAll('#tiles .tile').length === 4", timeout=20_000
                )
                early = {t["athlete"]: t for t in await page.evaluate(TILE_ORDER_JS)}
                assert "Sam Okafor" in early["sam"]["text"] and "bpm" in early["sam"]["text"]

                # 2. the rest of the run: the tiles change, Sam's risk climbs to high (critical needs cramp or fatigue
                # evidence since the risk model's evidence gate), alerts arrive
                await publish(mosquitto, {k: f[300:] for k, f in runs.items()}, profiles=False)
                await page.wait_for_function(
                    """() => { const t = document.querySelector('#tiles .tile');
                               return t && t.dataset.athlete === 'sam'
                                        && ['high', 'critical'].includes(t.dataset.level); }""",
                    timeout=60_000,
                )
                last_t = runs[("club", "sam")][-1].t - 15  # the lateness window holds back the last seconds
                await page.wait_for_function(
                    f"() => Array.from(document.querySelectorAll('#tiles .tile'))"
                    f".every(t => parseFloat(t.dataset.t) >= {last_t})",
                    timeout=60_000,
                )
                tiles = await page.evaluate(TILE_ORDER_JS)
                late = {t["athlete"]: t for t in tiles}
                assert late["sam"]["risk"] > early["sam"]["risk"] and late["sam"]["text"] != early["sam"]["text"]
                assert late["sam"]["level"].upper() in late["sam"]["text"].upper() and "%" in late["sam"]["text"]
                assert late["sam"]["level"] in ("high", "critical")
                keys = [(LEVELS.index(t["level"]), t["risk"]) for t in tiles]
                assert keys == sorted(keys, reverse=True), tiles  # riskiest first
                assert late["lena"]["level"] in ("low", "elevated")

                await page.wait_for_selector("#feed li.alert[data-athlete=sam]", timeout=20_000)
                feed_text = await page.inner_text("#feed")
                assert "Sam Okafor" in feed_text
                await page.screenshot(path=str(artifacts / "dashboard-desktop-before-ack.png"), full_page=True)

                # 3. acknowledge the newest alert: the contract ack reaches the broker and the monitor
                first = page.locator("#feed li.alert[data-athlete=sam]:not(.acked)").first
                alert_id = await first.get_attribute("data-id")
                assert alert_id
                acks_before = monitor.router.counters["acks"]
                async with ack_listener(mosquitto) as acks:
                    await first.get_by_role("button", name="Acknowledge").click()
                    topic, payload = await asyncio.wait_for(acks.get(), 10)
                assert topic == "crampwatch/v1/club/sam/ack" and payload == {"alert_id": alert_id}
                await until(lambda: monitor.router.counters["acks"] > acks_before, 10, "the monitor's ack")
                await page.wait_for_selector(
                    f"#feed li.alert.acked[data-id='{alert_id}'] button:disabled", timeout=5_000
                )
                assert view.find_alert("club", "sam", alert_id)["acked"]  # type: ignore[index]
                await page.screenshot(path=str(artifacts / "dashboard-desktop.png"), full_page=True)

                # 4. squad filter
                await page.select_option("#squad", "track")
                await page.wait_for_function(
                    """() => { const t = Array.from(document.querySelectorAll('#tiles .tile'));
                               return t.length === 1 && t[0].dataset.athlete === 'kim'; }""",
                    timeout=5_000,
                )
                assert "squad=track" in page.url
                await page.select_option("#squad", "")
                await page.wait_for_function(
                    "() => document.querySelectorAll('#tiles .tile').length === 4", timeout=5_000
                )

                # 5. the athlete view: charts of the session with the alerts marked
                await page.click("#tiles .tile[data-athlete=sam]")
                await page.wait_for_url("**/athlete/club/sam", timeout=5_000)
                for key in ("risk", "hr", "pace", "cadence", "stride_m", "temp"):
                    await page.wait_for_selector(f"figure[data-key={key}] canvas", timeout=10_000)
                await page.wait_for_function(
                    "() => parseInt(document.querySelector('figure[data-key=risk]').dataset.points) > 100",
                    timeout=10_000,
                )
                markers = int(await page.get_attribute("figure[data-key=risk]", "data-alerts") or "0")
                assert markers == len(view.alerts("club", "sam") or []) > 0
                assert "Sam Okafor" in await page.inner_text("#now")
                assert await page.locator("#feed li.alert.acked").count() >= 1
                await page.screenshot(path=str(artifacts / "athlete-desktop.png"), full_page=True)

                # 6. a phone
                phone = await browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2)
                watch_console(phone)
                await phone.goto(server.url)
                await phone.wait_for_function(
                    "() => document.querySelectorAll('#tiles .tile').length === 4", timeout=10_000
                )
                first_tile = await phone.locator("#tiles .tile").first.bounding_box()
                assert first_tile is not None and first_tile["y"] < 300  # the riskiest runner is on screen
                await phone.screenshot(path=str(artifacts / "dashboard-phone.png"))
                await phone.goto(server.url + "athlete/club/sam")
                await phone.wait_for_selector("figure[data-key=stride_m] canvas", timeout=10_000)
                await phone.screenshot(path=str(artifacts / "athlete-phone.png"), full_page=True)

                # 7. names come from MQTT: they are shown as text, never run as HTML
                await phone.goto(server.url)
                await phone.wait_for_selector("#tiles .tile[data-athlete=sam]", timeout=10_000)
                hostile = '<img src=x onerror="window.__xss=1">'
                view.add_status({**(view.status("track", "kim") or {}), "athlete": "mallory", "name": hostile})
                tile = phone.locator("#tiles .tile[data-athlete=mallory] .name")
                await tile.wait_for(timeout=5_000)
                assert await tile.inner_text() == hostile
                assert await phone.evaluate("() => window.__xss === undefined && !document.querySelector('#tiles img')")
            finally:
                await browser.close()
                await server.close()
        assert not problems, problems

    await scenario()
