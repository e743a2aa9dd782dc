"""``crampwatch sessions`` before any monitor ran (no default store: no sessions, exit 0) and with the monitor's
own ``CRAMPWATCH_STORE`` setting (read as ``crampwatch report`` reads it)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from monitor.cli import main
from tests.monitor.store_helpers import store_sessions
from tests.runs import EASY_PROFILE, easy_cool_run


@pytest.fixture
def fresh_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("CRAMPWATCH_STORE", raising=False)
    return tmp_path


def test_no_store_yet_is_no_sessions(fresh_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sessions"]) == 0
    assert capsys.readouterr().out.strip() == "no sessions"
    assert main(["sessions", "--squad", "club", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    export = fresh_home / "e.jsonl"
    assert main(["sessions", "--export", str(export)]) == 0
    assert export.read_text(encoding="utf-8") == ""
    assert not (fresh_home / "data").exists()  # listing created no store


def test_a_named_store_must_exist(fresh_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sessions", "--store", str(fresh_home / "nope.db")]) == 2
    assert "no such session store" in capsys.readouterr().err


async def test_the_monitor_store_setting_is_read(
    fresh_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = fresh_home / "env.db"
    stored = await store_sessions(path, {("club", "ann"): (easy_cool_run(minutes=2), EASY_PROFILE)})
    monkeypatch.setenv("CRAMPWATCH_STORE", str(path))
    assert await asyncio.to_thread(main, ["sessions", "--json"]) == 0
    assert [row["id"] for row in json.loads(capsys.readouterr().out)] == list(stored)
