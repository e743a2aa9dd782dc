"""A tile of an athlete whose pace stream never reported (heart-rate-only gateway) shows the distance as "—" in
real Chromium, not "0.00 km" or "NaN"; a pace-only athlete's TRIMP and time in zone likewise; a missing reading
keeps its unit ("— /km" as "— spm"). The tiles come from the live view of statuses that the pipeline built; the
page uses the dashboard's own ``common.js``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from monitor.coach.live import LiveView
from monitor.core.pipeline import run_offline
from simulators.frame import Frame
from tests.browser.conftest import script_page
from tests.runs import EASY_PROFILE, T0

pytestmark = [pytest.mark.browser]

#: label → shown text (value and unit) of each load metric of a tile
METRICS_JS = """(tile) => Object.fromEntries(CW.loadMetrics(tile).map(m => [
  m.querySelector('dt').textContent, m.querySelector('dd').textContent]))"""
#: the same of the readings every tile shows (HR, pace, cadence, temperature)
CORE_JS = METRICS_JS.replace("loadMetrics", "coreMetrics")


def _tiles() -> dict[str, dict[str, Any]]:
    live = LiveView()
    runs = {
        "hronly": [Frame(t=T0 + i, hr=150.0 + (i % 7)) for i in range(120)],
        "paceonly": [Frame(t=T0 + i, pace=300.0, cadence=174.0) for i in range(120)],
    }
    for athlete, frames in runs.items():
        for status in run_offline(frames, squad="club", athlete=athlete, profile=EASY_PROFILE).statuses:
            live.add_status(status)
    tiles = {a: live.tile("club", a) for a in runs}
    assert all(t is not None for t in tiles.values())
    return json.loads(json.dumps(tiles))  # as the page receives them


async def test_unknown_totals_render_as_a_dash(chromium: str) -> None:
    tiles = _tiles()
    assert tiles["hronly"]["distance_m"] is None and tiles["paceonly"]["trimp"] is None
    async with script_page(chromium, "common.js") as (page, errors):
        shown = {a: await page.evaluate(METRICS_JS, t) for a, t in tiles.items()}
        core = {a: await page.evaluate(CORE_JS, t) for a, t in {**tiles, "stopped": {"pace": 1500}}.items()}
    assert not errors, errors
    assert shown["hronly"]["Distance"] == "— km"
    assert shown["hronly"]["TRIMP"] not in ("—", "0") and float(shown["hronly"]["TRIMP"]) > 0
    assert shown["paceonly"]["TRIMP"] == "—"
    assert shown["paceonly"]["Distance"] == f"{tiles['paceonly']['distance_m'] / 1000:.2f} km" != "0.00 km"
    assert not any("NaN" in text for metrics in shown.values() for text in metrics.values())
    # no pace reads "— /km" like "— spm" and "— °C" (it read a bare "—"); a stopped runner's "stopped" has no unit
    assert core["hronly"]["Pace"] == "— /km"
    assert core["hronly"]["Cadence"] == "— spm" and core["hronly"]["Temp"] == "— °C"
    assert core["paceonly"]["Pace"] == "5:00 /km" and core["stopped"]["Pace"] == "stopped"
