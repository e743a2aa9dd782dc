"""``crampwatch monitor --amqp``: bad flags give one line on stderr and exit code 2 (no broker needed)."""

from __future__ import annotations

import pytest

from monitor.cli import main


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--amqp", "mqtt://127.0.0.1"], "expected amqp://"),
        (["--amqp", "amqp://127.0.0.1:99999/"], "--amqp"),
        (["--amqp", "amqp://127.0.0.1/", "--shards", "0"], "--shards must be 1-256"),
        (["--amqp", "amqp://127.0.0.1/", "--store", "/tmp/x.db"], "must be a postgresql:// URL"),
        (["--amqp", "amqp://127.0.0.1/", "--store", "postgresql:///"], "no database name"),
        (["--amqp", "amqp://127.0.0.1/", "--store", "none", "--http", "127.0.0.1:0"], "needs --broker"),
        (["--amqp", "amqp://127.0.0.1/", "--shards", "12"], "needs --store postgresql://"),
        (["--amqp", "amqp://127.0.0.1/", "--checkpoint", "0"], "--checkpoint"),
        (["--amqp", "amqp://u:secret@127.0.0.1/", "--store", "postgresql://u:secret@db/"], "no database name"),
    ],
)
def test_bad_amqp_flags_exit_2_with_one_line(argv: list[str], says: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["monitor", *argv]) == 2
    err = capsys.readouterr().err
    assert says in err
    assert len(err.strip().splitlines()) == 1
    assert "secret" not in err and "Traceback" not in err
