from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiomqtt
import pytest
import pytest_asyncio

from monitor.mqtt.broker import BrokerURL
from monitor.mqtt.service import Monitor
from tests.brokers import Amqtt, BrokerProcess, Mosquitto
from tests.rabbitmq import RabbitNode, server_binary
from tests.runs import Collector
from tests.scheduling import pytest_collection_modifyitems, pytest_xdist_make_scheduler  # noqa: F401 (hooks)

REALDATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "realdata"


def pytest_sessionstart(session: pytest.Session) -> None:
    """The tests are of the Python source. A tree with the tick's code compiled in place beside it (``setup.py
    build_ext --inplace``, for benchmarks) would run the stale compiled modules instead, and fail where a test
    replaces or fakes what compiled code does not let it: refuse it with a clear message."""
    from benchmarks.machine import compiled

    if compiled():
        raise pytest.UsageError(
            "processors/alerts are compiled in place (*.so beside the sources); the tests run the Python source: "
            "find processors alerts monitor -name '*.so' -delete"
        )


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


@pytest.fixture
def persistent_mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    """Mosquitto with persistence in a temp dir: a restart keeps sessions and the messages queued for them."""
    if Mosquitto.binary() is None:
        pytest.fail("mosquitto is not installed (apt-get install mosquitto)")
    data = tmp_path / "data"
    data.mkdir()
    yield from _run(Mosquitto(tmp_path, extra=f"persistence true\npersistence_location {data}/\nautosave_interval 1\n"))


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


@pytest.fixture(scope="session")
def rabbit() -> Iterator[RabbitNode]:
    """RabbitMQ with the MQTT plugin on free ports (never 5672/1883); session-scoped: start-up
    takes ~10 s."""
    if server_binary() is None:
        pytest.skip("rabbitmq-server is not installed (apt-get install rabbitmq-server)")
    node = RabbitNode(Path(tempfile.mkdtemp(prefix="crampwatch-rabbit-")))
    try:
        node.start()
    except (TimeoutError, RuntimeError) as exc:
        node.cleanup()
        pytest.fail(f"RabbitMQ node did not start: {exc}\n{node.log_tail()}")
    yield node
    node.stop()
    node.cleanup()


# ---- async fixtures (pytest-asyncio): a running monitor and clients on the test's Mosquitto --------------------
@pytest_asyncio.fixture
async def live_monitor(mosquitto: BrokerURL) -> AsyncIterator[Monitor]:
    """A :class:`Monitor` connected and subscribed to the test's Mosquitto; closed after the test."""
    async with Monitor(mosquitto) as monitor:
        await monitor.wait_connected()
        yield monitor


@pytest_asyncio.fixture
async def collector(mosquitto: BrokerURL) -> AsyncIterator[Collector]:
    """A subscriber collecting statuses, alerts and rejections on the test's Mosquitto."""
    async with Collector(mosquitto) as seen:
        yield seen


@pytest_asyncio.fixture
async def mqtt_client(mosquitto: BrokerURL) -> AsyncIterator[aiomqtt.Client]:
    """A connected aiomqtt client on the test's Mosquitto."""
    async with mosquitto.client() as client:
        yield client
