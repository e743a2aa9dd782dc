"""The same-output check (benchmarks/golden.py) passes on itself and catches a changed status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import golden


def test_dump_then_check_is_all_same_and_a_changed_status_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(golden, "JOBS", [("easy", 1)])
    ref = tmp_path / "ref.json"
    golden.main(["dump", str(ref)])
    with pytest.raises(SystemExit) as same:
        golden.main(["check", str(ref)])
    assert same.value.code == 0 and "ALL SAME" in capsys.readouterr().out

    data = json.loads(ref.read_text())
    run = data["easy/1"]
    status = json.loads(run["statuses"][50])
    status["hr"] = (status["hr"] or 0) + 1
    run["statuses"][50] = json.dumps(status)
    run["sha"] = "changed"
    ref.write_text(json.dumps(data))
    with pytest.raises(SystemExit) as diff:
        golden.main(["check", str(ref)])
    out = capsys.readouterr().out
    assert diff.value.code == 1 and "DIFF easy/1" in out and "'hr'" in out


def test_a_missing_dump_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as bad:
        golden.main(["check", str(tmp_path / "nope.json")])
    err = capsys.readouterr().err
    assert bad.value.code == 2 and err.count("\n") == 1 and "cannot read" in err
