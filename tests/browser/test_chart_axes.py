"""The session charts' y axes stay readable on a run of walking and running (polar-m400-run.tcx replayed: pace 4:00
to 18:00, cadence 30 to 180, stride 0.75 to 3.75 m): a label every 60 s/km, 10 spm or 0.25 m put 12 to 15 labels
on a 130-px axis, drawn over each other. In real headless Chromium, at phone and laptop width."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from monitor.coach.live import LiveView
from monitor.core.pipeline import run_offline
from monitor.http import serve
from simulators.frame import Frame
from tests.browser.test_layout import _pages
from tests.runs import EASY_PROFILE, T0

pytestmark = [pytest.mark.browser]

#: the least room (CSS px) between two y labels: an 11-px label and a gap
LABEL_PX = 14


def walk_run(minutes: int) -> list[Frame]:
    """Two minutes running at 4:00-5:00/km, two walking at 12:00-18:00/km, and so on, at 19-23 °C."""
    frames = []
    for i in range(minutes * 60):
        running = (i // 120) % 2 == 0
        pace = 240.0 + (i % 60) if running else 720.0 + 6 * (i % 60)
        cadence = 168.0 + (i % 7) if running else 40.0 + (i % 80)
        frames.append(Frame(t=T0 + i, hr=110.0 + (i % 50), pace=pace, cadence=cadence, temp=19.0 + (i // 300) % 5))
    return frames


async def test_y_labels_never_run_into_each_other(chromium: str, artifacts: Path) -> None:
    view = LiveView()
    for status in run_offline(walk_run(30), squad="club", athlete="walker", profile=EASY_PROFILE).statuses:
        view.add_status(status)
    srv = await serve(view, "127.0.0.1", 0, ack=lambda s, a, i: None)

    async def check(page: Any) -> Any:
        await page.wait_for_selector("figure[data-key='temp'] canvas")
        return await page.evaluate("""() => Object.fromEntries(Array.from(document.querySelectorAll('figure'))
          .filter(f => f.querySelector('canvas'))
          .map(f => [f.dataset.key, [Number(f.dataset.yTicks), f.querySelector('.u-over').clientHeight,
                                     f.dataset.yRange]]))""")

    try:
        shown = await _pages(chromium, srv.url + "athlete/club/walker", check, artifacts, "axes")
    finally:
        await srv.close()
    for size, charts in shown.items():
        assert set(charts) == {"risk", "hr", "pace", "cadence", "stride_m", "temp"}, size
        for key, (ticks, height, y_range) in charts.items():
            assert ticks >= 2, (size, key, y_range)  # still a scale
            assert (ticks - 1) * LABEL_PX <= height, (size, key, ticks, height, y_range)


async def test_a_chart_says_now_what_the_last_status_says(chromium: str, artifacts: Path) -> None:
    """A run that ends standing still: the pace and stride charts' "now" is "—", as on the card; it was the last
    running pace ("15:28 /km" beside "— /km" on polar-m400-run.tcx's past session)."""
    view = LiveView()
    frames = walk_run(10) + [Frame(t=T0 + 600 + i, hr=100.0, pace=3600.0, cadence=0.0, temp=20.0) for i in range(120)]
    for status in run_offline(frames, squad="club", athlete="stopper", profile=EASY_PROFILE).statuses:
        view.add_status(status)
    srv = await serve(view, "127.0.0.1", 0, ack=lambda s, a, i: None)

    async def check(page: Any) -> Any:
        await page.wait_for_selector("figure[data-key='temp'] canvas")
        return await page.evaluate("""() => Object.assign(
          Object.fromEntries(Array.from(document.querySelectorAll('figure'))
            .map(f => [f.dataset.key, f.querySelector('.chart-now').textContent.trim()])),
          {card: Array.from(document.querySelectorAll('.metric'))
            .find(m => m.querySelector('dt').textContent === 'Pace').querySelector('dd').textContent.trim()})""")

    try:
        shown = await _pages(chromium, srv.url + "athlete/club/stopper", check, artifacts, "now")
        squad = await _pages(chromium, srv.url, tile_pace, artifacts, "stopped-tile")
    finally:
        await srv.close()
    for size, now in shown.items():
        assert now["pace"] == "—" and now["stride_m"] == "—", (size, now)
        assert now["hr"] == "100 bpm" and now["temp"] == "20 °C", (size, now)
        # the card and the squad tile say "stopped": the monitor's pace is null, not above 20 min/km, when standing
        assert now["card"] == "stopped" and squad[size] == "stopped", (size, now, squad)


async def tile_pace(page: Any) -> Any:
    await page.wait_for_selector(".tile .metric")
    return await page.evaluate("""() => Array.from(document.querySelectorAll('.tile .metric'))
      .find(m => m.querySelector('dt').textContent === 'Pace').querySelector('dd').textContent.trim()""")


async def test_the_stride_axis_holds_a_short_sprint(chromium: str, artifacts: Path) -> None:
    """30 min at a 1.4-m stride with a 20-s sprint at ~3.5 m: the 98th percentile cut the sprint off the stride
    chart (as the report's did); the monitor reports no stride above 4.0 m, so the axis is the data's."""
    frames = [Frame(t=T0 + i, hr=140.0, pace=202.0 if 900 <= i < 920 else 505.0, cadence=170.0) for i in range(1800)]
    statuses = run_offline(frames, squad="club", athlete="sprinter", profile=EASY_PROFILE).statuses
    strides = [s["stride_m"] for s in statuses if s["stride_m"] is not None]
    assert max(strides) > 3.0 and sorted(strides)[-8] < 2.0  # the sprint is above the 98th percentile
    view = LiveView()
    for status in statuses:
        view.add_status(status)
    srv = await serve(view, "127.0.0.1", 0, ack=lambda s, a, i: None)

    async def check(page: Any) -> Any:
        await page.wait_for_selector("figure[data-key='stride_m'] canvas")
        return await page.evaluate("() => document.querySelector(\"figure[data-key='stride_m']\").dataset.yRange")

    try:
        shown = await _pages(chromium, srv.url + "athlete/club/sprinter", check, artifacts, "stride-sprint")
    finally:
        await srv.close()
    for size, y_range in shown.items():
        lo, hi = (float(v) for v in y_range.split(","))
        assert lo < min(strides) and max(strides) < hi, (size, y_range, max(strides))
