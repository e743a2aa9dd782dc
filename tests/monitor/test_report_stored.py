"""``crampwatch report SESSION``: what a stored session's report takes and shows — the flags only a FILE takes are
refused (they were silently ignored), and the max HR is the session's own maximum, not its 5-s statuses'."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from monitor.cli import main
from tests.monitor.store_helpers import store_sessions
from tests.runs import EASY_PROFILE, easy_cool_run


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    db = tmp_path_factory.mktemp("stored") / "sessions.db"
    ((sid, _),) = asyncio.run(store_sessions(db, {("club", "ann"): (easy_cool_run(3), EASY_PROFILE)})).items()
    return db, sid


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--plan", "tempo"], "--plan"),
        (["--target-pace", "4:50"], "--target-pace"),
        (["--profile", "ann.toml"], "--profile"),
        (["--squad", "club"], "--squad"),
        (["--athlete", "ann"], "--athlete"),
        (["--plan", "tempo", "--target-pace", "290"], "--plan, --target-pace"),
    ],
)
def test_a_file_only_flag_with_a_stored_session_is_refused(
    stored: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str], named: str
) -> None:
    """``report SESSION --plan tempo`` wrote a report not judged against any plan, and said nothing."""
    db, sid = stored
    out = tmp_path / "r.html"
    assert main(["report", sid, "--store", str(db), "-o", str(out), *flags]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and not out.exists()
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err, captured.err
    assert captured.err.startswith(f"crampwatch: error: {named}: for a FILE only;"), captured.err


def test_the_same_stored_session_without_them_is_reported(
    stored: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, sid = stored
    out = tmp_path / "r.html"
    assert main(["report", sid, "--store", str(db), "-o", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"report: {out}" and out.stat().st_size > 0
