"""How the suite is spread over pytest-xdist workers (``-n auto --dist loadgroup``), imported by tests/conftest.py.

pytest-xdist's ``loadgroup`` sends every test on its own to the next free worker, and would keep tests marked
``xdist_group`` together — but under pytest 9 those marks do nothing (xdist 3.8 renames ``item._nodeid``, which
pytest 9 no longer reads). So a module's or the session's expensive fixture was built once on *each* worker: the
RabbitMQ node (~10 s of an Erlang VM's start-up) and the simulated fields of a few modules. Here:

- :data:`TOGETHER`: tests that share an expensive fixture run on one worker (one unit of work), so it is built once;
- :data:`FIRST`: the longest tests and groups are handed out first, so that no worker is left running a 2-minute
  test alone at the end (the longest unit bounds the wall time on 2 workers: best started at once).

Every test still runs, with the same fixtures; only which worker runs it, and when, changes.
"""

from __future__ import annotations

from typing import Any

import pytest

#: nodeid prefix → the unit of work it belongs to
TOGETHER: dict[str, str] = {
    "tests/monitor/amqp/": "rabbitmq",  # the session-scoped ``rabbit`` node (tests/conftest.py)
    "tests/alerts/test_safety_simulated.py": "",  # "" = the module: module-scoped fixtures
    "tests/benchmarks/test_tune_policy.py": "",
    "tests/browser/test_layout.py": "",
    "tests/monitor/test_report_stored.py": "",
    "tests/simulators/test_sim_truth.py": "",
    "tests/simulators/readers/test_readers_realdata.py": "",
}

#: nodeid prefixes run first, in this order (each >15 s on an idle 2-core VM, the soak ~60 s and the RabbitMQ
#: tests ~150 s in all); the rest keeps its collection order
FIRST: tuple[str, ...] = (
    "tests/monitor/fuzz/test_soak.py",
    "tests/monitor/amqp/",
    "tests/benchmarks/test_suite_smoke.py",
    "tests/browser/test_report_browser.py",
    "tests/monitor/test_simulate_determinism.py",
    "tests/monitor/store/test_crash.py",
    "tests/simulators/test_sim_paced.py",
    "tests/simulators/test_sim_model.py",
    "tests/simulators/test_sim_evaluate.py",
    "tests/monitor/mqtt/test_durable.py",
)


def unit_of(nodeid: str) -> str:
    """The unit of work of a test: its group (:data:`TOGETHER`), else the test alone.

    >>> unit_of("tests/monitor/amqp/test_shards.py::test_x"), unit_of("tests/monitor/test_cli.py::test_y")
    ('rabbitmq', 'tests/monitor/test_cli.py::test_y')
    >>> unit_of("tests/browser/test_layout.py::test_z[a]")
    'tests/browser/test_layout.py'
    """
    for prefix, group in TOGETHER.items():
        if nodeid.startswith(prefix):
            return group or prefix
    return nodeid


def rank(nodeid: str) -> int:
    """Position of a test's :data:`FIRST` prefix (``len(FIRST)`` for the rest)."""
    return next((i for i, prefix in enumerate(FIRST) if nodeid.startswith(prefix)), len(FIRST))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: rank(item.nodeid))  # stable: each module keeps its own order


@pytest.hookimpl(optionalhook=True)  # a run without pytest-xdist (-p no:xdist) knows no such hook
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "loadgroup":
        return None  # xdist's own scheduler for any other --dist
    from xdist.scheduler import LoadGroupScheduling

    class Scheduling(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return unit_of(nodeid)

    return Scheduling(config, log)
