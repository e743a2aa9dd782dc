"""What a coach relies on in the live view: per-squad feeds, closing and acknowledging all, the word on the
tile (one rule with the shown risk and the order), cramp until acknowledged, session states, health."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from monitor.coach.live import LiveView
from monitor.http import HttpServer
from monitor.http.models import Alert, Health, Squad, Status, Tile
from tests.monitor.coach.test_live_helpers import T0, alert, status
from tests.monitor.test_http import Acks, get_json, read_event, run


def busy_and_small(busy_alerts: int = 300) -> LiveView:
    view = LiveView(feed_size=50)
    view.add_status(status("solo", 0, squad="small", risk=0.6, level="high"))
    view.add_alert(alert("solo", T0 + 10, squad="small", level="advice", kind="hydrate").to_dict())
    view.add_alert(alert("solo", T0 + 20, squad="small", level="warning", kind="ease_pace").to_dict())
    for i in range(busy_alerts):
        athlete = f"b{i % 8}"
        view.add_status(status(athlete, 0, squad="busy", risk=0.3, level="elevated"))
        view.add_alert(alert(athlete, T0 + 30 + i, squad="busy", level="advice", kind="hydrate").to_dict())
    return view


def test_a_busy_squad_never_pushes_another_squads_open_alerts_out() -> None:
    view = busy_and_small()
    small = view.feed("small", 50)
    assert [(a["athlete"], a["kind"]) for a in small] == [("solo", "ease_pace"), ("solo", "hydrate")]
    everyone = view.feed(None, 50)
    assert {"solo"} <= {a["athlete"] for a in everyone if not a["acked"]}
    assert view.snapshot("small")["alerts"] == small
    assert view.squads()[1] == {"squad": "small", "athletes": 1, "worst_level": "high", "counts": {"high": 1},
                                "finished": 0, "open_alerts": 2}  # fmt: skip


def test_acknowledging_closes_the_earlier_open_alerts_of_the_same_kind() -> None:
    view = LiveView()
    view.add_status(status("ann", 0))
    first, second = alert("ann", T0 + 10, level="advice"), alert("ann", T0 + 70, level="warning")
    other = alert("ann", T0 + 40, kind="hydrate", level="advice")
    later = alert("ann", T0 + 130, level="warning")
    for a in (first, other, second, later):
        view.add_alert(a.to_dict())
    assert view.mark_acked("club", "ann", second.id) == [second.id, first.id]
    acked = {a["id"]: a["acked"] for a in view.alerts("club", "ann") or []}
    assert acked == {first.id: True, other.id: False, second.id: True, later.id: False}
    assert [a["id"] for a in view.latest_open("club", "ann")] == [other.id, later.id]


def test_the_word_the_shown_risk_and_the_order_follow_one_rule() -> None:
    view = LiveView()
    view.add_status(status("hi", 0, risk=0.89, level="high"))  # critical needs evidence: the level stays high
    view.add_status(status("cr", 0, risk=0.78, level="critical"))
    view.add_status(status("el", 0, risk=0.21, level="elevated"))  # hysteresis: still elevated
    view.add_status(status("lo", 0, risk=0.22, level="low"))
    tiles = view.athletes()
    assert [(t["athlete"], t["display_level"], t["display_risk"]) for t in tiles] == [
        ("cr", "critical", 0.78), ("hi", "high", 0.74), ("el", "elevated", 0.25), ("lo", "low", 0.22),
    ]  # fmt: skip
    shown = [t["display_risk"] for t in tiles]
    assert shown == sorted(shown, reverse=True)  # no higher number below a lower word


def test_a_cramp_reads_cramp_until_acknowledged_and_traits_are_never_the_reason() -> None:
    view = LiveView()
    factors = {"sex": 0.9, "age": 0.8, "duration": 0.3}
    view.add_status(status("ann", 0, risk=0.95, level="critical", factors=factors))
    view.add_status(status("bob", 0, risk=0.97, level="critical"))
    tile = view.tile("club", "ann") or {}
    assert tile["top_reason"] == "duration" and tile["top_reason_text"] == "Longer than usual run"
    cramp = alert("ann", T0 + 20, level="critical", kind="stop_and_stretch", message="Stop and stretch")
    view.add_alert(cramp.to_dict())
    view.add_status(status("ann", 1, risk=0.6, level="high", factors=factors))  # risk falls after stopping
    tile = view.tile("club", "ann") or {}
    assert tile["display_level"] == "cramp" and tile["cramp"] and tile["top_reason_text"] == "Cramp signs"
    assert view.athletes()[0]["athlete"] == "ann"  # above a critical runner
    assert view.squads()[0]["counts"] == {"cramp": 1, "critical": 1}
    view.mark_acked("club", "ann", cramp.id)
    tile = view.tile("club", "ann") or {}
    assert tile["display_level"] == "high" and not tile["cramp"]


def test_finished_runners_sort_below_live_ones_and_leave_the_counts() -> None:
    view = LiveView()
    view.add_status(status("done", 0, risk=0.9, level="critical", session_state="finished"))
    view.add_status(status("run", 0, risk=0.1, level="low"))
    view.add_status(status("idle", 0, risk=0.2, level="low", signal="stale", wall_idle_s=16.0))
    tiles = view.athletes()
    assert [(t["athlete"], t["session_state"]) for t in tiles] == [
        ("idle", "quiet"), ("run", "live"), ("done", "finished"),
    ]  # fmt: skip
    squad = view.squads()[0]
    assert squad["counts"] == {"low": 2} and squad["finished"] == 1 and squad["worst_level"] == "low"
    assert (view.status("club", "done") or {})["session_state"] == "finished"


def test_hr_zone_and_percent_of_hr_max_are_on_the_tile() -> None:
    view = LiveView()
    view.add_status(status("ann", 0, hr=171.0, values={"hr_max_bpm": 190.0, "training_pace_s_per_km": 330.0}))
    view.add_status(status("bob", 0, hr=150.0, hr_pct_max=80.0, hr_zone=4))  # the monitor's own fields win
    ann, bob = view.tile("club", "ann") or {}, view.tile("club", "bob") or {}
    assert (ann["hr_pct_max"], ann["hr_zone"], ann["target_pace"]) == (90.0, 5, 330.0)
    assert (bob["hr_pct_max"], bob["hr_zone"]) == (80.0, 4)


def test_health_follows_the_broker_and_the_data() -> None:
    view = LiveView()
    assert view.health()["state"] == "unknown"
    up = [True]
    view.connected = lambda: up[0]
    view.add_status(status("ann", 0))
    assert view.health()["state"] == "ok" and view.health()["live_sessions"] == 1
    up[0] = False
    assert view.health() == {**view.health(), "state": "down", "broker_connected": False}


async def test_the_api_answers_match_their_documented_models() -> None:
    view = busy_and_small(20)
    view.add_status(status("done", 0, squad="small", session_state="finished"))

    async def scenario(server: HttpServer, http: aiohttp.ClientSession, live: LiveView, acks: Acks) -> None:
        for tile in await get_json(http, "/api/athletes"):
            Tile.model_validate(tile)
        for item in await get_json(http, "/api/alerts?limit=200"):
            Alert.model_validate(item)
        for squad in await get_json(http, "/api/squads"):
            Squad.model_validate(squad)
        Health.model_validate(await get_json(http, "/api/monitor"))
        Status.model_validate(await get_json(http, "/api/athletes/small/done/status"))
        open_small = await get_json(http, "/api/alerts?squad=small&open=1")
        assert [a["athlete"] for a in open_small] == ["solo", "solo"]

    await run(scenario, view)


async def test_acknowledge_all_over_http_sends_one_ack_per_kind_and_closes_everything() -> None:
    view = LiveView()
    view.add_status(status("ann", 0))
    sent: list[Any] = [alert("ann", T0 + 10 * k, kind=kind) for k, kind in enumerate(("hydrate", "ease_pace") * 3)]
    for a in sent:
        view.add_alert(a.to_dict())

    async def scenario(server: HttpServer, http: aiohttp.ClientSession, live: LiveView, acks: Acks) -> None:
        async with http.get("/events") as stream:
            await read_event(stream.content)
            body = {"squad": "club", "athlete": "ann"}
            async with http.post("/api/ack-all", json=body) as res:
                assert res.status == 202
                answer = await res.json()
            assert sorted(answer["closed"]) == sorted(a.id for a in sent)
            names = [(await asyncio.wait_for(read_event(stream.content), 2))[0] for _ in range(len(sent))]
            assert names.count("ack") >= len(sent) - 1
        assert [a["acked"] for a in live.alerts("club", "ann") or []] == [True] * len(sent)
        async with http.post("/api/ack-all", json={"squad": "club", "athlete": "nobody"}) as res:
            assert res.status == 404
        async with http.post("/api/ack-all", json={"squad": "club"}) as res:
            assert res.status == 400

    acks = await run(scenario, view)
    assert sorted(acks) == sorted(("club", "ann", a.id) for a in sent[-2:])  # the newest of each kind
