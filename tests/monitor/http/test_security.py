"""Dashboard access control against a real aiohttp server: Host allow-list (DNS rebinding) and the coach token."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
import pytest

from monitor.coach.live import LiveView
from monitor.http import serve
from monitor.http.security import HttpSecurity
from tests.monitor.coach.test_live_helpers import T0, alert, status

TOKEN = "correct-horse-battery-staple"


def view_with_alert() -> tuple[LiveView, str]:
    view = LiveView()
    view.add_status(status("hot", 0, risk=0.8, level="critical"))
    a = alert("hot", T0 + 5).to_dict()
    view.add_alert(a)
    return view, a["id"]


async def exchange(
    security: HttpSecurity | None, requests: list[tuple[str, str, dict[str, str], dict[str, str] | None]]
) -> tuple[list[tuple[int, str]], list[tuple[str, str, str]]]:
    """Send (method, path, headers, json) requests; return (status, body) each and the acks sent over MQTT."""
    view, _ = view_with_alert()
    acks: list[tuple[str, str, str]] = []
    answers: list[tuple[int, str]] = []

    async def main() -> None:
        server = await serve(view, "127.0.0.1", 0, ack=lambda *a: acks.append(a), security=security)
        try:
            async with aiohttp.ClientSession(base_url=server.url) as http:
                for method, path, headers, body in requests:
                    async with http.request(method, path, headers=headers, json=body) as res:
                        answers.append((res.status, await res.text()))
        finally:
            await server.close()

    await main()
    return answers, acks


def ack_body() -> dict[str, str]:
    _, alert_id = view_with_alert()
    return {"squad": "club", "athlete": "hot", "alert_id": alert_id}


async def test_forged_host_is_refused_everywhere_localhost_and_ip_accepted() -> None:
    evil = {"Host": "rebind.evil.example"}
    answers, acks = await exchange(
        None,
        [
            ("GET", "/", evil, None),
            ("GET", "/api/athletes", evil, None),
            ("POST", "/api/ack", evil, ack_body()),
            ("GET", "/api/athletes", {"Host": "localhost:8080"}, None),
            ("GET", "/api/athletes", {"Host": "127.0.0.1"}, None),
            ("GET", "/api/athletes", {"Host": "[::1]:80"}, None),
        ],
    )
    assert [code for code, _ in answers] == [403, 403, 403, 200, 200, 200]
    assert "host not allowed" in answers[0][1]
    assert acks == []  # the forged-host ack never reached MQTT


async def test_token_is_required_for_coach_actions_when_set() -> None:
    sec = HttpSecurity.default("127.0.0.1", token=TOKEN)
    answers, acks = await exchange(
        sec,
        [
            ("POST", "/api/ack", {}, ack_body()),
            ("POST", "/api/ack", {"Authorization": "Bearer wrong"}, ack_body()),
            ("POST", "/api/ack", {"Authorization": TOKEN}, ack_body()),  # not a Bearer header
            ("GET", "/api/athletes", {}, None),  # reading stays open
            ("POST", "/api/ack", {"Authorization": f"Bearer {TOKEN}"}, ack_body()),
        ],
    )
    assert [code for code, _ in answers] == [401, 401, 401, 200, 202]
    assert "token" in answers[0][1]
    assert acks == [("club", "hot", ack_body()["alert_id"])]  # only the authorised ack was sent


async def test_without_token_acks_work_as_before() -> None:
    answers, acks = await exchange(None, [("POST", "/api/ack", {}, ack_body())])
    assert answers[0][0] == 202 and len(acks) == 1


def test_extra_allowed_host_and_bound_name() -> None:
    sec = HttpSecurity.default("coach-laptop.local", extra_hosts=["dash.club.example"])
    assert sec.host_allowed("coach-laptop.local:8080")
    assert sec.host_allowed("DASH.club.example")
    assert not sec.host_allowed("club.example")


def test_cli_flags_reach_the_server_and_token_is_never_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from monitor.cli import build_parser
    from monitor.commands.monitor import _security, apply_settings

    def args_of(argv: list[str]) -> Any:  # the command merges flags, CRAMPWATCH_* env and --config first
        args = parser.parse_args(argv)
        apply_settings(args)
        return args

    monkeypatch.setenv("CRAMPWATCH_HTTP_TOKEN", TOKEN)
    monkeypatch.setenv("CRAMPWATCH_HTTP_ALLOW_HOSTS", "dash.club.example,other.example")
    argv = ["monitor", "--broker", "mqtt://u:pw@localhost", "--http", "0.0.0.0:8080"]
    parser, _ = build_parser(argv)
    with caplog.at_level(logging.DEBUG):
        sec = _security(args_of(argv))
    assert sec.token == TOKEN and sec.host_allowed("dash.club.example") and sec.host_allowed("other.example")
    assert TOKEN not in caplog.text
    parser, _ = build_parser([*argv, "--http-token", "flag-token"])
    assert _security(args_of([*argv, "--http-token", "flag-token"])).token == "flag-token"
