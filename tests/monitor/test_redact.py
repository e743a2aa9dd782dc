"""Secrets never reach an error message or a log line: broker passwords, webhook credentials and paths."""

from __future__ import annotations

import logging

import pytest

from alerts.sinks.webhook import WebhookSink
from monitor.cli import main
from tests.monitor.coach.test_live_helpers import T0, alert

SECRET = "s3cr3t-PW"


@pytest.mark.parametrize(
    "argv",
    [
        ["monitor", "--broker", f"mqtt://monitor:{SECRET}@broker.example:notaport"],
        ["monitor", "--broker", f"ftp://monitor:{SECRET}@broker.example"],
        ["monitor", "--broker", f"mqtt://monitor:{SECRET}@broker.example/path"],
        ["watch", "--broker", f"mqtt://monitor:{SECRET}@broker.example:99999"],
        ["monitor", "--broker", "mqtt://127.0.0.1:1", "--webhook", f"ftp://hook:{SECRET}@hooks.example/x"],
    ],
)
def test_bad_urls_are_reported_without_their_secret(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("crampwatch: error:") and SECRET not in err
    assert "***" in err


def test_a_bad_port_without_a_password_is_shown(capsys: pytest.CaptureFixture[str]) -> None:
    """audit5: an unparsable URL was all masked: "bad broker URL 'mqtt://***': Port out of range 0-65535"."""
    assert main(["watch", "--once", "--broker", "mqtt://127.0.0.1:99999"]) == 2
    assert capsys.readouterr().err == (
        "crampwatch: error: bad broker URL 'mqtt://127.0.0.1:99999': Port out of range 0-65535\n"
    )


async def test_failing_webhook_logs_neither_credentials_nor_path(caplog: pytest.LogCaptureFixture) -> None:
    url = f"http://hook:{SECRET}@127.0.0.1:1/services/{SECRET}?token={SECRET}"
    sink = WebhookSink(url, retries=1, backoff_s=0.01, timeout_s=2.0)

    async def scenario() -> None:
        await sink.start()
        await sink.on_alert(alert("hot", T0 + 5))
        await sink.close()

    with caplog.at_level(logging.DEBUG, logger="alerts"):
        await scenario()
    assert sink.stats.failed == 1  # it did fail (and log) — the assertion below is not vacuous
    assert "127.0.0.1:1/***" in caplog.text
    assert SECRET not in caplog.text


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"postgresql://cw:{SECRET}@127.0.0.1:1/db", "postgresql://cw:***@127.0.0.1:1/db"),
        (f"postgresql://127.0.0.1:1/db?password={SECRET}", "postgresql://127.0.0.1:1/db"),  # libpq's other way
    ],
)
@pytest.mark.parametrize("psycopg", ["installed", "missing"])
def test_the_postgresql_store_is_named_as_given_without_its_password(
    url: str, shown: str, psycopg: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """audit7: without psycopg the store was named '--store 127.0.0.1:1/db' (no scheme), and a password in the
    query (?password=) was printed as it was; both paths now name the URL as given, password masked or left out."""
    import sys

    if psycopg == "missing":
        monkeypatch.setitem(sys.modules, "psycopg", None)  # the import fails as without crampwatch[scale]
        monkeypatch.delitem(sys.modules, "monitor.store.postgres", raising=False)
    assert main(["sessions", "--store", url]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"crampwatch: error: --store {shown}: ") and err.count("\n") == 1, err
    assert SECRET not in err
    assert ("PostgreSQL store not available" if psycopg == "missing" else "connection failed") in err
