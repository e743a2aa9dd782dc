"""HTTP access control for the dashboard: a Host allow-list on every request and a token for coach actions.

* **Host allow-list** (defeats DNS rebinding: a page on ``evil.example`` whose name is re-pointed at the coach's
  machine sends ``Host: evil.example`` and is refused with 403). Allowed by default: ``localhost`` names, any IP
  literal (an address cannot be rebound), the bound host name and this machine's host name; more with
  ``--http-allow-host NAME`` (env ``CRAMPWATCH_HTTP_ALLOW_HOSTS``, comma-separated).
* **Token** (``--http-token`` / env ``CRAMPWATCH_HTTP_TOKEN``): when set, every coach action (any request that
  is not ``GET``/``HEAD``/``OPTIONS``: acknowledgements) needs ``Authorization: Bearer <token>``; a missing or
  wrong one is a 401. Compared in constant time; never logged. Reads stay open: bind to ``127.0.0.1`` or put a
  reverse proxy with a login in front when the squad's data must not be seen.

>>> sec = HttpSecurity.default("0.0.0.0", token="s3cret")
>>> [sec.host_allowed(h) for h in ("localhost:8080", "10.0.0.7:8080", "[::1]:80", "evil.example", "")]
[True, True, True, False, False]
>>> sec.token_ok("Bearer s3cret"), sec.token_ok("Bearer nope"), sec.token_ok(None)
(True, False, False)
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Middleware

log = logging.getLogger("crampwatch.http")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _host_name(host_header: str) -> str:
    """The name part of a Host header (no port, no IPv6 brackets), lower-case."""
    text = host_header.strip().lower()
    if text.startswith("["):
        return text[1 : text.find("]")] if "]" in text else ""
    if text.count(":") == 1:
        text = text.split(":", 1)[0]
    return text.rstrip(".")


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class HttpSecurity:
    allowed_hosts: frozenset[str]
    token: str | None = None

    @classmethod
    def default(cls, bound_host: str, *, token: str | None = None, extra_hosts: Iterable[str] = ()) -> HttpSecurity:
        names = set(_LOCAL_NAMES)
        for name in (bound_host, *extra_hosts):
            if name and name not in ("0.0.0.0", "::"):
                names.add(_host_name(name))
        if bound_host in ("", "0.0.0.0", "::"):  # reachable under this machine's names
            for name in (socket.gethostname(), socket.getfqdn()):
                names.add(name.lower())
        return cls(frozenset(names), token or None)

    def host_allowed(self, host_header: str | None) -> bool:
        name = _host_name(host_header or "")
        return bool(name) and (name in self.allowed_hosts or _is_ip(name))

    def token_ok(self, authorization: str | None) -> bool:
        if self.token is None:
            return True
        if not authorization or not authorization.startswith("Bearer "):
            return False
        return hmac.compare_digest(authorization[7:].strip().encode(), self.token.encode())

    def middleware(self) -> Middleware:
        @web.middleware
        async def security(request: web.Request, handler: Handler) -> web.StreamResponse:
            if not self.host_allowed(request.headers.get("Host")):
                log.warning("refused a request for host %r (not in the allow-list)", request.host[:100])
                return _refuse(403, "host not allowed (see --http-allow-host)")
            if request.method not in _SAFE_METHODS and not self.token_ok(request.headers.get("Authorization")):
                return _refuse(401, "a valid token is required (Authorization: Bearer <token>)", bearer=True)
            return await handler(request)

        return security


def _refuse(status: int, message: str, *, bearer: bool = False) -> web.Response:
    headers = {"Cache-Control": "no-store"}
    if bearer:
        headers["WWW-Authenticate"] = 'Bearer realm="crampwatch"'
    body = json.dumps({"error": message, "status": status})
    return web.Response(status=status, text=body, content_type="application/json", headers=headers)
