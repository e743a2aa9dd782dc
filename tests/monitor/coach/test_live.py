"""LiveView: latest status, bounded per-session history and alerts, squads, subscribers."""

from __future__ import annotations

from typing import Any

import pytest

from monitor.coach.live import LiveView, sort_key, top_reason, valid_id
from tests.monitor.coach.test_live_helpers import T0, alert, status


def test_latest_status_and_tiles_riskiest_first() -> None:
    view = LiveView()
    view.add_status(status("easy", 0, risk=0.1, level="low"))
    view.add_status(status("hot", 0, risk=0.9, level="critical"))
    view.add_status(status("mid", 0, risk=0.45, level="elevated"))
    view.add_status(status("mid2", 0, risk=0.55, level="elevated"))
    view.add_status(status("hot", 1, risk=0.92, level="critical", hr=171.0))
    tiles = view.athletes()
    assert [t["athlete"] for t in tiles] == ["hot", "mid2", "mid", "easy"]
    assert tiles[0]["hr"] == 171.0 and tiles[0]["top_reason"] == "pace_over_training"
    assert "values" not in tiles[0]  # tiles carry only what the dashboard shows
    full = view.status("club", "hot")
    assert full is not None and full["values"] == {"cadence_baseline": 172.0}
    assert view.status("club", "nobody") is None


def test_level_outranks_risk_in_the_order() -> None:
    tiles: list[dict[str, Any]] = [
        {"athlete": "a", "level": "high", "risk": 0.5},
        {"athlete": "b", "level": "critical", "risk": 0.4},  # hysteresis can keep a level above its risk
        {"athlete": "c", "level": None, "risk": None},
    ]
    assert [t["athlete"] for t in sorted(tiles, key=sort_key)] == ["b", "a", "c"]


def test_history_is_bounded_and_columnar() -> None:
    view = LiveView(history_points=10)
    for i in range(25):
        view.add_status(status("ann", i, risk=i / 100))
    hist = view.history("club", "ann")
    assert hist is not None
    assert hist["points"] == 10 and len(hist["t"]) == 10 and len(hist["hr"]) == 10
    assert hist["t"][-1] == T0 + 125 and hist["risk"][0] == 0.15
    assert hist["level"] == ["low"] * 10 and hist["session_start"] == T0
    assert set(hist) >= {"hr", "pace", "cadence", "stride_m", "temp", "risk", "fatigue", "alerts"}


def test_unknown_values_stay_null() -> None:
    view = LiveView()
    view.add_status(status("ann", 0, hr=None, pace=None, level="low"))
    hist = view.history("club", "ann")
    assert hist is not None and hist["hr"] == [None] and hist["pace"] == [None] and hist["cadence"] == [172.0]
    assert view.athletes()[0]["hr"] is None


def test_republished_stale_status_updates_signal_without_a_new_point() -> None:
    view = LiveView()
    view.add_status(status("ann", 0))
    view.add_status(status("ann", 0, signal="stale", wall_idle_s=16.0))
    hist = view.history("club", "ann")
    assert hist is not None and hist["points"] == 1
    assert view.athletes()[0]["signal"] == "stale"


def test_a_new_session_starts_a_new_history_and_alert_list() -> None:
    view = LiveView()
    view.add_status(status("ann", 0))
    view.add_alert(alert("ann", T0 + 5).to_dict())
    assert len(view.alerts("club", "ann") or []) == 1
    later = T0 + 7200
    view.add_status(status("ann", 0, start=later))
    hist = view.history("club", "ann")
    assert hist is not None and hist["session_start"] == later and hist["points"] == 1
    assert view.alerts("club", "ann") == [] and view.athletes()[0]["last_alert"] is None
    assert len(view.feed()) == 1  # the squad feed keeps history across sessions


def test_alerts_bounded_deduplicated_and_in_the_feed() -> None:
    view = LiveView(session_alerts=3, feed_size=4)
    view.add_status(status("ann", 0))
    view.add_status(status("bob", 0, squad="track"))
    for k in range(5):
        view.add_alert(alert("ann", T0 + 100 * k).to_dict())
    view.add_alert(alert("ann", T0 + 400).to_dict())  # a redelivery
    view.add_alert(alert("bob", T0 + 50, squad="track", level="critical").to_dict())
    alerts = view.alerts("club", "ann")
    assert alerts is not None and [a["t"] for a in alerts] == [T0 + 200, T0 + 300, T0 + 400]
    # newest first (arrival order); each squad keeps its latest 4 (feed_size), open ones beyond that too
    assert [(a["athlete"], a["t"]) for a in view.feed()] == [("bob", T0 + 50)] + [
        ("ann", T0 + 100 * k) for k in (4, 3, 2, 1)
    ]
    assert [a["athlete"] for a in view.feed("track")] == ["bob"]
    assert view.feed()[1]["name"] == "Ann"
    tile = view.tile("club", "ann")
    assert tile is not None and tile["last_alert"]["t"] == T0 + 400
    assert view.alerts("club", "nobody") is None


def test_squads_summary() -> None:
    view = LiveView()
    view.add_status(status("ann", 0, risk=0.7, level="high"))
    view.add_status(status("bea", 0, risk=0.2, level="low"))
    view.add_status(status("cid", 0, squad="track"))
    view.add_alert(alert("ann", T0 + 5).to_dict())
    assert view.squads() == [
        {
            "squad": "club",
            "athletes": 2,
            "worst_level": "high",
            "counts": {"high": 1, "low": 1},
            "finished": 0,
            "open_alerts": 1,
        },
        {"squad": "track", "athletes": 1, "worst_level": "low", "counts": {"low": 1}, "finished": 0, "open_alerts": 0},
    ]
    assert [t["athlete"] for t in view.athletes("track")] == ["cid"]


def test_ack_marks_the_alert_everywhere() -> None:
    view = LiveView()
    view.add_status(status("ann", 0))
    a = alert("ann", T0 + 5)
    view.add_alert(a.to_dict())
    assert not view.mark_acked("club", "ann", "unknown")
    assert view.mark_acked("club", "ann", a.id) == [a.id]
    assert view.feed()[0]["acked"] and (view.alerts("club", "ann") or [{}])[0]["acked"]
    assert view.tile("club", "ann")["last_alert"]["acked"]  # type: ignore[index]
    assert view.squads()[0]["open_alerts"] == 0


def test_invalid_input_is_ignored_and_counted() -> None:
    view = LiveView()
    view.add_status({"t": 1.0, "squad": "bad id", "athlete": "x"})
    view.add_status({"t": float("nan"), "squad": "a", "athlete": "x"})
    view.add_alert({"id": "../x", "squad": "a", "athlete": "x"})
    assert len(view) == 0 and view.counters["ignored"] == 3


def test_least_recently_updated_athlete_is_forgotten_beyond_the_bound() -> None:
    view = LiveView(max_athletes=2)
    for name in ("a1", "a2", "a3"):
        view.add_status(status(name, 0))
    assert [t["athlete"] for t in sorted(view.athletes(), key=lambda t: t["athlete"])] == ["a2", "a3"]


async def test_subscriber_drops_oldest_and_counts() -> None:
    view = LiveView(subscriber_queue=3)

    async def scenario() -> None:
        with view.subscribe() as sub, view.subscribe(squad="track") as track:
            for i in range(10):
                view.add_status(status("ann", i))
            view.add_status(status("bob", 0, squad="track"))
            batch = await sub.get_batch(timeout=1)
            assert [kind for _, kind, _ in batch] == ["status"] * 3
            assert [d["athlete"] for _, _, d in batch] == ["ann", "ann", "bob"]
            assert sub.dropped == 8 and view.counters["dropped"] == 8
            assert [d["athlete"] for _, _, d in await track.get_batch(timeout=1)] == ["bob"]
            assert await sub.get_batch(timeout=0.01) == []  # nothing new: times out empty
            assert view.subscribers == 2
        assert view.subscribers == 0 and sub.closed

    await scenario()


async def test_sink_interface() -> None:
    view = LiveView()

    async def scenario() -> None:
        await view.start()
        await view.on_status(status("ann", 0))
        await view.on_alert(alert("ann", T0 + 5))
        with view.subscribe() as sub:
            await view.close()
            assert sub.closed and await sub.get_batch() == []

    await scenario()
    assert view.counters["statuses"] == 1 and view.counters["alerts"] == 1


@pytest.mark.parametrize(
    ("factors", "expected"),
    [
        ({"heat": 1.0, "sex": -0.3}, "heat"),
        ({"sex": -0.3}, None),
        (None, None),
        ({"a": 0.5, "b": 0.5}, "a"),
        ({"duration": 0.04}, None),  # the first minutes of a run: too small to name as the main factor
        ({"duration": 0.04, "heat": 0.1}, "heat"),
    ],
)
def test_top_reason(factors: object, expected: str | None) -> None:
    assert top_reason(factors) == expected


def test_valid_id() -> None:
    assert valid_id("A-z_09") and not valid_id(None) and not valid_id("é")
