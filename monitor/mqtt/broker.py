"""Broker addresses: ``mqtt://[user[:password]@]host[:port]`` or ``mqtts://…`` (contract, "Broker address")."""

from __future__ import annotations

import contextlib
import re
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import aiomqtt

from monitor.errors import UsageError
from monitor.redact import redact_url

#: A DNS name (letters, digits, ``-``, ``_``, dots), an IPv4 address or an IPv6 address (from ``[...]``).
_HOST_RE = re.compile(r"[A-Za-z0-9_.-]{1,253}|[0-9A-Fa-f:.%A-Za-z]*:[0-9A-Fa-f:.%A-Za-z]*")


@dataclass(frozen=True, slots=True)
class BrokerURL:
    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None

    @classmethod
    def parse(
        cls,
        url: str,
        *,
        ca_file: str | None = None,
        cert_file: str | None = None,
        key_file: str | None = None,
    ) -> BrokerURL:
        """Parse a broker URL; raise :class:`UsageError` with one clear line if it is not one.

        >>> BrokerURL.parse("mqtt://u:p%40ss@example.org").port
        1883
        >>> BrokerURL.parse("mqtts://broker:9999").tls
        True
        """
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise UsageError(f"bad broker URL {redact_url(url)!r}: {exc}") from exc
        if parts.scheme not in ("mqtt", "mqtts"):
            raise UsageError(f"bad broker URL {redact_url(url)!r}: scheme must be mqtt:// or mqtts://")
        if not parts.hostname:
            raise UsageError(f"bad broker URL {redact_url(url)!r}: no host")
        if not _HOST_RE.fullmatch(parts.hostname):
            raise UsageError(f"bad broker URL {redact_url(url)!r}: {parts.hostname!r} is not a host name or address")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise UsageError(f"bad broker URL {redact_url(url)!r}: no path or query allowed")
        tls = parts.scheme == "mqtts"
        return cls(
            host=parts.hostname,
            port=port if port is not None else (8883 if tls else 1883),
            tls=tls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            ca_file=ca_file,
            cert_file=cert_file,
            key_file=key_file,
        )

    def resolve(self) -> None:
        """Check that the host name resolves; raise :class:`UsageError` (one line) if it does not. One-shot
        commands call this first, so a typo is an immediate error instead of endless retries.

        >>> BrokerURL.parse("mqtt://127.0.0.1").resolve()
        """
        try:
            socket.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            reason = exc.strerror if isinstance(exc, socket.gaierror) and exc.strerror else str(exc)
            raise UsageError(f"broker {self}: cannot resolve host {self.host!r} ({reason})") from exc

    def tls_context(self) -> ssl.SSLContext | None:
        """The TLS context of an ``mqtts://`` broker (None for ``mqtt://``); :class:`UsageError` (one line) when
        ``--ca-file``, ``--cert-file`` or ``--key-file`` cannot be read as PEM.

        >>> BrokerURL.parse("mqtt://127.0.0.1").tls_context() is None
        True
        """
        if not self.tls:
            return None
        try:
            context = ssl.create_default_context(cafile=self.ca_file)
        except (ssl.SSLError, OSError, ValueError) as exc:
            raise UsageError(f"--ca-file {self.ca_file}: not a readable PEM CA bundle ({_ssl_reason(exc)})") from exc
        if self.cert_file:
            try:
                context.load_cert_chain(self.cert_file, self.key_file)
            except (ssl.SSLError, OSError, ValueError) as exc:
                raise UsageError(
                    f"--cert-file {self.cert_file}: not a usable PEM certificate and key ({_ssl_reason(exc)})"
                ) from exc
        return context

    def __str__(self) -> str:
        user = f"{self.username}@" if self.username else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'mqtts' if self.tls else 'mqtt'}://{user}{host}:{self.port}"

    def client(
        self,
        *,
        identifier: str | None = None,
        clean_session: bool | None = None,
        max_inflight: int | None = None,
        will: aiomqtt.Will | None = None,
    ) -> aiomqtt.Client:
        """An aiomqtt client for this broker (not yet connected; use ``async with``). ``max_inflight``: paho's
        limit of QoS > 0 messages awaiting their acknowledgement (0: none; None: paho's default, 20); beyond it
        paho holds them back while later QoS-0 messages leave."""
        return aiomqtt.Client(
            self.host,
            self.port,
            identifier=identifier,
            username=self.username,
            password=self.password,
            tls_context=self.tls_context(),
            clean_session=clean_session,
            keepalive=30,
            timeout=10,
            max_inflight_messages=max_inflight,
            will=will,
        )


def _ssl_reason(exc: BaseException) -> str:
    """The short reason of an ssl/OS error, without the C source location ssl adds."""
    if isinstance(exc, ssl.SSLError) and exc.reason:
        return str(exc.reason)
    if isinstance(exc, OSError) and exc.strerror:
        return re.sub(r"^\[\w+\]\s*|\s*\(_ssl\.c:\d+\)$", "", exc.strerror)
    return str(exc) or type(exc).__name__


def default_client_id() -> str:
    """Stable per host, so a restarted monitor resumes its persistent session."""
    host = "".join(c if c.isalnum() or c in "-_" else "-" for c in socket.gethostname())[:40] or "host"
    return f"crampwatch-monitor-{host}"


def close_socket(client: aiomqtt.Client) -> None:
    """aiomqtt leaves paho's socket open when the broker refuses the connection (bad password) or the TLS
    handshake fails; without this every retry would leak a file descriptor until garbage collection."""
    paho = getattr(client, "_client", None)
    close = getattr(paho, "_sock_close", None)
    if callable(close):
        with contextlib.suppress(Exception):
            close()
