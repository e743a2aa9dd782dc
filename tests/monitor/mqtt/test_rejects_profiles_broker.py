from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.core.profiles import ProfileBook
from monitor.core.rejects import RejectReporter
from monitor.errors import InputFileError, UsageError
from monitor.mqtt.broker import BrokerURL
from processors.profile import Profile


def test_reject_reporter_rate_limits_and_counts() -> None:
    now = [0.0]
    rep = RejectReporter(interval=1.0, clock=lambda: now[0])
    first = rep.add("t/a", "bad")
    assert [json.loads(p) for p in first] == [{"topic": "t/a", "reason": "bad", "count": 1}]
    assert rep.add("t/a", "bad") == []
    assert rep.add("t/a", "bad") == []
    now[0] = 1.5
    later = [json.loads(p) for p in rep.due()]
    assert later == [{"topic": "t/a", "reason": "bad", "count": 3}]
    assert rep.total == 3


def test_reject_reporter_bounds_memory() -> None:
    rep = RejectReporter(max_pairs=3)
    for i in range(10):
        rep.add(f"t/{i}", "bad")
    assert len(rep.counts) == 4
    assert rep.counts[("*", "other")] == 7


def test_profiles_file_toml_and_json(tmp_path: Path) -> None:
    toml = tmp_path / "p.toml"
    toml.write_text('[athletes.ann]\nname = "Ann"\ntraining_pace = 330\n[athletes."club/bob"]\nsex = "male"\n')
    book = ProfileBook.load(toml)
    assert book.get("any", "ann").training_pace == 330.0
    assert book.get("club", "bob").sex == "male"
    assert book.get("other", "bob") == Profile()
    merged = book.set_retained("x", "ann", Profile(age=50))
    assert (merged.name, merged.age, merged.training_pace) == ("Ann", 50.0, 330.0)
    js = tmp_path / "p.json"
    js.write_text(json.dumps({"athletes": {"cy": {"hr_max": 185}}}))
    assert ProfileBook.load(js).get("s", "cy").hr_max == 185.0


@pytest.mark.parametrize(
    "text",
    ["not = [toml", '[athletes."a/b/c"]\nname="x"\n', "[athletes.ann]\nage = 500\n", "x = 1\n"],
)
def test_bad_profiles_file(tmp_path: Path, text: str) -> None:
    path = tmp_path / "p.toml"
    path.write_text(text)
    with pytest.raises(InputFileError):
        ProfileBook.load(path)
    with pytest.raises(InputFileError):
        ProfileBook.load(tmp_path / "missing.toml")


def test_broker_urls() -> None:
    url = BrokerURL.parse("mqtts://me:s%3Acret@host.example:8884")
    assert (url.host, url.port, url.tls, url.username, url.password) == (
        "host.example",
        8884,
        True,
        "me",
        "s:cret",
    )
    assert BrokerURL.parse("mqtt://127.0.0.1").port == 1883
    for bad in ("http://x", "mqtt://", "mqtt://h:99999", "mqtt://h/path", "127.0.0.1:1883"):
        with pytest.raises(UsageError):
            BrokerURL.parse(bad)
