"""An alert in the feed (live.js ``alertItem``) shows its level, message, why and Acknowledge button, and nothing for
what it lacks: a live alert has no "what the runner did after it" (``response``), and the item used to read "null"
there (DOM ``append`` writes a null as text). Rendered in real Chromium with the dashboard's own scripts, from an
alert the pipeline made."""

from __future__ import annotations

import json

import pytest

from monitor.core.pipeline import run_offline
from tests.browser.conftest import script_page
from tests.runs import HOT_PROFILE, hot_fast_run

pytestmark = [pytest.mark.browser]


async def test_a_live_alert_item_shows_no_null(chromium: str) -> None:
    alert = run_offline(hot_fast_run(minutes=35), squad="club", athlete="ann", profile=HOT_PROFILE).alerts[0]
    live = json.loads(json.dumps(alert.to_dict()))  # as the page receives it: no "response"
    past = {**live, "response": {"after_s": 300, "pace_before": 300, "pace_after": 330, "cadence_before": 170,
                                 "cadence_after": 165, "stopped_s": 0}}  # fmt: skip
    async with script_page(chromium, "common.js", "live.js") as (page, errors):
        shown = [await page.evaluate("(a) => CW.alertItem(a).textContent", a) for a in (live, past)]
    assert not errors, errors
    for text in shown:
        assert "null" not in text and "undefined" not in text
        assert alert.message in text and "Why" in text and "Acknowledge" in text
    assert "Next 5 min: pace 5:00 → 5:30 /km" in shown[1] and "Next 5 min" not in shown[0]
