"""Scenarios (built-in and TOML files) and the ``crampwatch simulate`` command."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.errors import InputFileError, UsageError
from monitor.mqtt.broker import BrokerURL
from simulators.runner import DEFAULT_START
from simulators.scenarios import builtin_names, load_scenario, parse_scenario

SMALL = """
name = "tiny"
squad = "lab"
[weather]
temp_min = 10.0
temp_max = 14.0
start_hour = 7.0
[plan]
kind = "even"
duration_min = 2
[sensors]
duplicate_p = 0.0
reorder_p = 0.0
[[athletes]]
id = "ann"
profile = { name = "Ann", sex = "female", age = 30, training_pace = 330 }
[[athletes]]
id = "bob"
profile = { sex = "male", training_pace = 300 }
plan = { speed = 0.9 }
traits = { cadence = 165 }
"""


def test_builtin_scenarios_exist_and_load() -> None:
    names = builtin_names()
    assert {"easy", "tempo", "hot-marathon", "flat-monotony", "squad"} <= set(names)
    for name in names:
        scenario = load_scenario(name)
        assert scenario.name == name and scenario.description and scenario.templates


def test_squad_has_six_or_more_profiles_and_a_too_fast_runner_in_the_heat() -> None:
    squad = load_scenario("squad")
    athletes = squad.athletes()
    assert len(athletes) >= 6
    assert len({a.profile for a in athletes}) >= 6
    assert len({a.plan.kind for a in athletes}) >= 4
    assert squad.weather.temp_max >= 25
    assert any(a.plan.kind == "too-fast-start" and a.plan.start_speed > 1.1 for a in athletes)


def test_hot_marathon_is_a_too_fast_start_in_the_heat() -> None:
    hot = load_scenario("hot-marathon")
    assert hot.weather.temp_max >= 28
    assert all(a.plan.kind == "too-fast-start" and a.plan.distance_km == pytest.approx(42.195) for a in hot.templates)


def test_more_athletes_than_listed_are_seeded_variations_and_stable_prefixes() -> None:
    easy = load_scenario("easy")
    ten = easy.athletes(10, seed=1)
    assert [a.id for a in ten[:3]] == [a.id for a in easy.templates]
    assert len({a.id for a in ten}) == 10
    assert len({a.profile for a in ten}) == 10
    assert easy.athletes(4, seed=1) == ten[:4]
    assert easy.athletes(10, seed=2) != ten
    with pytest.raises(UsageError):
        easy.athletes(0)


def test_scenario_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "tiny.toml"
    path.write_text(SMALL)
    scenario = load_scenario(str(path))
    assert scenario.name == "tiny" and scenario.squad == "lab"
    ann, bob = scenario.templates
    assert ann.profile.name == "Ann" and bob.plan.speed == 0.9 and bob.plan.duration_min == 2
    assert bob.traits.cadence == 165
    runs = scenario.simulate(seed=0)
    assert [len(r.trace.t) for r in runs] == [120, 120]
    assert runs[0].frames[0].t == DEFAULT_START


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("[plan]", "[plan]\nbogus = 1"), "unknown plan key 'bogus'"),
        (('kind = "even"', 'kind = "sprint"'), "unknown plan kind"),
        (("age = 30", "age = 300"), "profile field age invalid"),
        (('id = "bob"', 'id = "b o b"'), "id"),
        (("temp_min = 10.0", "temp_min = 20.0"), "temp_min <= temp_max"),
        (("[sensors]", '[sensors]\nhr = "ear"'), "optical"),
        (("traits = { cadence = 165 }", "traits = { cadence = 'fast' }"), "must be a number"),
        (("[[athletes]]", "colour = 1\n[[athletes]]"), "unknown"),
        (('name = "tiny"', 'name = "tiny'), "not valid TOML"),
        (("duration_min = 2", "duration_min = 0"), "duration_min"),
    ],
)
def test_bad_scenario_files_are_one_line_input_errors(change: tuple[str, str], message: str) -> None:
    text = SMALL.replace(*change, 1)
    assert text != SMALL
    with pytest.raises(InputFileError, match=message) as info:
        parse_scenario(text, origin="scenario file 'x.toml'")
    assert "\n" not in str(info.value).strip()


def test_unknown_scenario_name_and_missing_file() -> None:
    with pytest.raises(UsageError, match=r"unknown scenario 'sprint'.*built-in: easy"):
        load_scenario("sprint")
    with pytest.raises(InputFileError, match="not found"):
        load_scenario("/nonexistent/x.toml")


# ---- the command ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["--scenario", "sprint"],
        ["--scenario", "/nope/x.toml"],
        ["--batch", "0"],
        ["--batch", "601"],
        ["--speed", "-1"],
        ["--speed", "nan"],
        ["--athletes", "0"],
        ["--seed", "-3"],
        ["--squad", "no spaces"],
        ["--mode", "json"],
        ["--athletes", "two"],
        ["--prefix", "bad/"],
    ],
)
def test_simulate_bad_usage_exits_2_with_one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        code = main(["simulate", "--broker", "mqtt://127.0.0.1:1", *argv])
        raise SystemExit(code)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("crampwatch") and err.count("\n") == 1 and "Traceback" not in err


def test_simulate_needs_a_broker(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CRAMPWATCH_BROKER", raising=False)
    assert main(["simulate"]) == 2
    assert "--broker" in capsys.readouterr().err


def test_simulate_lists_scenarios(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in ("easy", "tempo", "hot-marathon", "flat-monotony", "squad"))


@pytest.mark.broker
async def test_simulate_publishes_a_scenario_file(
    mosquitto: BrokerURL, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "tiny.toml"
    path.write_text(SMALL)
    truth = tmp_path / "truth.json"

    async def go() -> list[str]:
        async with mosquitto.client() as sub:
            await sub.subscribe("crampwatch/v1/#", qos=1)
            argv = ["simulate", "--broker", f"mqtt://127.0.0.1:{mosquitto.port}", "--scenario", str(path),
                    "--speed", "0", "--unpaced",  # no monitor here: the publisher's bytes only
                    "--mode", "samples", "--batch", "10", "--truth", str(truth)]  # fmt: skip
            code = await asyncio.to_thread(main, argv)
            assert code == 0
            topics: list[str] = []

            async def collect() -> None:
                async for message in sub.messages:
                    topics.append(str(message.topic))
                    if topics.count("crampwatch/v1/lab/bob/session") == 2:
                        return

            await asyncio.wait_for(collect(), 20)
            return topics

    topics = await go()
    assert topics[:2] == ["crampwatch/v1/lab/ann/profile", "crampwatch/v1/lab/bob/profile"]
    assert {"crampwatch/v1/lab/ann/hr", "crampwatch/v1/lab/bob/cadence"} <= set(topics)
    assert topics.count("crampwatch/v1/lab/ann/hr") == 12  # 120 s in batches of 10
    assert "published" in capsys.readouterr().out
    data = json.loads(truth.read_text())
    assert set(data["athletes"]) == {"ann", "bob"} and data["athletes"]["ann"]["onset"] is None
