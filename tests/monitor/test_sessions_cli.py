"""``crampwatch sessions`` before any monitor ran (no default store: no sessions, exit 0) and with the monitor's
own ``CRAMPWATCH_STORE`` setting (read as ``crampwatch report`` reads it); a store that is not there is named as
the user gave it (``--store``, ``CRAMPWATCH_STORE`` or neither)."""

from __future__ import annotations

import asyncio
import json
import sys
import unicodedata
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.store.sqlite import default_store_path
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


SID = "club.ann.1732400000250"


def test_report_without_a_store_says_where_it_looked(fresh_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", SID, "-o", str(fresh_home / "r.html")]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"crampwatch: error: no session store at {default_store_path()} (give --store PATH or set CRAMPWATCH_STORE)"
    ]  # was "--store <default path>: no such session store", a flag the user did not give
    assert not (fresh_home / "data").exists()


@pytest.mark.parametrize("argv", [["report", SID], ["sessions"]])
def test_a_store_from_the_environment_is_named_by_it(
    fresh_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    missing, junk = fresh_home / "gone.db", fresh_home / "junk.db"
    junk.write_text("not sqlite", encoding="utf-8")
    monkeypatch.setenv("CRAMPWATCH_STORE", str(missing))
    assert main(argv) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"crampwatch: error: CRAMPWATCH_STORE={missing}: no such session store"
    ]
    monkeypatch.setenv("CRAMPWATCH_STORE", str(junk))
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith(f"crampwatch: error: CRAMPWATCH_STORE={junk}: not a crampwatch session store")
        and "--store" not in err
    )
    monkeypatch.chdir(fresh_home)
    assert main([*argv, "--store", str(missing)]) == 2  # a flag the user gave is named as given
    assert capsys.readouterr().err.splitlines() == [f"crampwatch: error: --store {missing}: no such session store"]


async def test_the_monitors_default_store_is_not_named_as_a_flag(fresh_home: Path) -> None:
    import argparse

    from monitor.commands.monitor import make_session_store
    from monitor.errors import UsageError

    (fresh_home / "data").write_text("a file where the data folder should be", encoding="utf-8")
    store = make_session_store(argparse.Namespace(store=None))
    assert store is not None
    with pytest.raises(UsageError) as caught:
        await store.open()
    assert str(caught.value).startswith(f"the default session store {default_store_path()}: cannot open")


def test_a_postgresql_store_without_its_driver_says_what_to_install(
    fresh_home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wheel installed without the extra: the line said "(No module named 'psycopg')" and nothing more."""
    monkeypatch.setitem(sys.modules, "monitor.store.postgres", None)  # as without psycopg: the import fails
    assert main(["sessions", "--store", "postgresql://coach:secret@db.example/crampwatch"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install 'crampwatch[scale]'" in err and "secret" not in err


def test_the_table_lines_up_wide_and_long_names() -> None:
    """A profile name with CJK characters (two terminal columns each) pushed its row's later columns out of line,
    and a 60-character name made every line of the table 170 columns wide."""
    from monitor.commands.sessions import table
    from monitor.store.base import SessionSummary

    def columns(text: str) -> int:  # terminal columns, measured here independently of the code under test
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)

    def row(athlete: str, name: str | None) -> SessionSummary:
        return SessionSummary(f"club.{athlete}.1732400000000", "club", athlete, name, 1732400000.0, 1732403600.0,
                              3600.0, 11950.4, 0.731, "high", 2, False)  # fmt: skip

    names = ["山田太郎", "Ann", "Maximiliana Alexandrovna Konstantinopolskaya-Wolfeschlegelsteinhausen"]
    lines = table([row(f"a{i}", n) for i, n in enumerate(names)]).splitlines()
    starts = {columns(line[: line.index("2024-11-23")]) for line in lines[1:]}
    assert len(starts) == 1 and columns(lines[0][: lines[0].index("START")]) in starts
    assert "山田太郎" in lines[1] and "Maximiliana" in lines[3] and "…" in lines[3]
    assert max(columns(line) for line in lines) <= 128  # 166 with the whole name


async def test_a_huge_limit_lists_every_session(fresh_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--limit beyond SQLite's integers was a traceback (sqlite3.IntegrityError: datatype mismatch), exit 1; any
    limit above the number of sessions lists them all."""
    path = fresh_home / "s.db"
    stored = await store_sessions(path, {("club", "ann"): (easy_cool_run(minutes=2), EASY_PROFILE)})
    for limit in ("9223372036854775808", "99999999999999999999"):
        code = await asyncio.to_thread(main, ["sessions", "--store", str(path), "--limit", limit, "--json"])
        out, err = capsys.readouterr()
        assert (code, err) == (0, "")
        assert [row["id"] for row in json.loads(out)] == list(stored)


async def test_export_to_a_file_prints_no_table(fresh_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--export FILE`` writes the records: stdout stays empty (it printed the session table too, which a pipe
    such as ``sessions --export x.jsonl | wc -l`` took for data); one line on stderr says what was written."""
    path = fresh_home / "s.db"
    stored = await store_sessions(path, {("club", "ann"): (easy_cool_run(minutes=2), EASY_PROFILE)})
    export = fresh_home / "e.jsonl"
    assert await asyncio.to_thread(main, ["sessions", "--store", str(path), "--export", str(export)]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"sessions: 1 session exported to {export}\n"
    lines = [json.loads(x) for x in export.read_text(encoding="utf-8").splitlines()]
    assert [x["data"]["id"] for x in lines if x["type"] == "session"] == list(stored)
    # --json asks for the list on stdout as well
    assert await asyncio.to_thread(main, ["sessions", "--store", str(path), "--export", str(export), "--json"]) == 0
    assert [row["id"] for row in json.loads(capsys.readouterr().out)] == list(stored)
    # to stdout: the records only, every line a record
    assert await asyncio.to_thread(main, ["sessions", "--store", str(path), "--export", "-"]) == 0
    out, err = capsys.readouterr()
    types = [json.loads(x)["type"] for x in out.splitlines()]
    assert types[0] == "session" and set(types) <= {"session", "status", "alert", "ack"} and err == ""
    assert main(["sessions", "--store", str(path), "--export", "-", "--json"]) == 2
    assert "--json" in capsys.readouterr().err
