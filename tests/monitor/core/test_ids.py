"""One rule makes ids of names (``monitor.core.topics.to_id``): the gateway bridge's user names and
``analyze``/``report``/``replay``'s file names gave "Zo_" and "Zoe" for one runner."""

from __future__ import annotations

import json

import pytest

from monitor.commands.analyze import athlete_id
from monitor.commands.replay import athlete_ids
from monitor.core.topics import ID_RE, to_id
from monitor.gateway.layouts import load_layout
from monitor.gateway.translate import translate

NAMES = ["Zoë", "Zoë Ünïcode", "jane.doe", "Ann's run 2020", "Łódź", "ｆｕｌｌ-width", "Åsa_Ørn", "x" * 80, "a-b_c"]


def bridge_id(user: str) -> str | None:
    payload = json.dumps({"_type": "location", "tst": 1_732_400_000, "vel": 12}).encode()
    out = translate(load_layout("owntracks"), f"owntracks/{user}/phone", payload, now=1_732_400_001.0, squad="club")
    return out.frames[0][1] if out.frames else None


@pytest.mark.parametrize("name", NAMES)
def test_the_bridge_and_a_file_name_give_one_id(name: str) -> None:
    ident = to_id(name)
    assert ID_RE.match(ident), ident
    assert bridge_id(name) == ident
    assert athlete_id(f"runs/{name}.fit") == ident
    assert athlete_ids([f"{name}.tcx"], None) == [ident[:60]]


def test_accents_are_taken_off_and_the_rest_replaced() -> None:
    assert to_id("Zoë") == "Zoe"  # the bridge made "Zo_"
    assert to_id("Zoë Ünïcode") == "Zoe_Unicode"  # analyze made "Zoe-Unicode"
    assert to_id("ｆｕｌｌ-width") == "full-width"
    assert len(to_id("é" * 100)) == 64
    assert to_id("jane.doe") == to_id("jane_doe") == to_id("jane doe")  # documented: one athlete


def test_a_name_with_nothing_usable_is_no_id() -> None:
    assert to_id("张伟") == to_id("...") == to_id("") == ""
    assert bridge_id("张伟") is None  # rejected, where two such users were one athlete "__"
    assert athlete_id("张伟.fit") == "athlete"
