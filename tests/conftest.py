from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.brokers import Amqtt, BrokerProcess, Mosquitto

REALDATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "realdata"


def _run(broker: BrokerProcess) -> Iterator[BrokerProcess]:
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture(autouse=True)
def _private_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """``crampwatch monitor`` keeps its session store in the user data dir by default: never the real one in tests
    (also inherited by the monitor subprocesses tests start)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))


@pytest.fixture
def mosquitto_proc(tmp_path: Path) -> Iterator[BrokerProcess]:
    """A Mosquitto process on a free port (``.stop()``/``.start()`` restart it on the same port)."""
    if Mosquitto.binary() is None:
        pytest.fail("mosquitto is not installed (apt-get install mosquitto)")
    yield from _run(Mosquitto(tmp_path))


@pytest.fixture
def mosquitto(mosquitto_proc: BrokerProcess):  # type: ignore[no-untyped-def]
    """The BrokerURL of a fresh Mosquitto."""
    return mosquitto_proc.url


@pytest.fixture(params=["mosquitto", "amqtt"])
def any_broker_proc(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BrokerProcess]:
    """Key end-to-end tests run against both Mosquitto and the embedded amqtt broker."""
    broker: BrokerProcess = Mosquitto(tmp_path) if request.param == "mosquitto" else Amqtt(tmp_path)
    if request.param == "mosquitto" and Mosquitto.binary() is None:
        pytest.fail("mosquitto is not installed (apt-get install mosquitto)")
    yield from _run(broker)


@pytest.fixture
def realdata() -> Path:
    if not REALDATA.is_dir():
        pytest.skip("../shared/realdata is not here (only in the project workspace)")
    return REALDATA.resolve()
