"""The monitor names a bad setting as the user gave it: ``--flag VALUE``, ``CRAMPWATCH_NAME=VALUE`` or
``FILE: name = VALUE`` from ``--config`` (its store included), never as a flag the user did not type."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.cli import main


@pytest.fixture
def fresh_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    for name in ("STORE", "CA_FILE", "WEBHOOK", "HTTP", "BROKER", "HA_DISCOVERY"):
        monkeypatch.delenv(f"CRAMPWATCH_{name}", raising=False)
    return tmp_path


@pytest.mark.parametrize("leaf", ["s.db", "s.jsonl"])
def test_the_monitors_store_is_named_as_the_user_gave_it(
    fresh_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], leaf: str
) -> None:
    (fresh_home / "file").write_text("a file where a folder should be", encoding="utf-8")
    bad = fresh_home / "file" / leaf  # its folder is a file: the store cannot open
    argv = ["monitor", "--broker", "mqtt://127.0.0.1:1"]
    monkeypatch.setenv("CRAMPWATCH_STORE", str(bad))
    assert main(argv) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"crampwatch: error: CRAMPWATCH_STORE={bad}: cannot open"), err
    monkeypatch.delenv("CRAMPWATCH_STORE")
    config = fresh_home / "cw.toml"
    config.write_text(f'store = "{bad}"\n', encoding="utf-8")
    assert main([*argv, "--config", str(config)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"crampwatch: error: {config}: store = {bad}: cannot open"), err
    assert main([*argv, "--config", str(config), "--store", str(bad)]) == 2  # the flag wins, and is named
    assert capsys.readouterr().err.startswith(f"crampwatch: error: --store {bad}: cannot open")


@pytest.mark.parametrize(
    ("env", "toml", "flags", "said"),
    [
        ({}, 'ca_file = "{missing}"\n', [], "{config}: ca_file = {missing}: no such file"),
        ({"CRAMPWATCH_CA_FILE": "{missing}"}, "", [], "CRAMPWATCH_CA_FILE={missing}: no such file"),
        ({}, "", ["--ca-file", "{missing}"], "--ca-file {missing}: no such file"),
        ({"CRAMPWATCH_WEBHOOK": "ftp://h"}, "", [], "CRAMPWATCH_WEBHOOK='ftp://h': expected an http"),
        ({}, 'webhook = ["ftp://h"]\n', [], "{config}: webhook = 'ftp://h': expected an http"),
        ({"CRAMPWATCH_HTTP": "nonsense"}, "", [], "CRAMPWATCH_HTTP=nonsense: expected HOST:PORT"),
        ({}, 'ha_discovery = "a/#"\n', [], "{config}: ha_discovery = 'a/#': discovery prefix"),
    ],
)
def test_a_bad_setting_is_named_where_the_user_gave_it(
    fresh_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    toml: str,
    flags: list[str],
    said: str,
) -> None:
    """audit3: a bad value from the environment or the --config file was named as a flag ("--ca-file ...")."""
    config, missing = fresh_home / "cw.toml", fresh_home / "nope.pem"
    fill = {"config": config, "missing": missing}
    config.write_text(toml.format(**fill), encoding="utf-8")
    for name, value in env.items():
        monkeypatch.setenv(name, value.format(**fill))
    argv = ["monitor", "--broker", "mqtt://127.0.0.1:1", "--store", "none", "--config", str(config)]
    assert main([*argv, *(f.format(**fill) for f in flags)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"crampwatch: error: {said.format(**fill)}"), err
