"""``--amqp`` URLs and worker ids."""

from __future__ import annotations

import os
import socket
import uuid
from urllib.parse import urlsplit

from monitor.errors import UsageError


def check_amqp_url(url: str) -> str:
    """Validate an ``--amqp`` URL (one clear line on error).

    >>> check_amqp_url("amqp://guest:guest@127.0.0.1:5673/")
    'amqp://guest:guest@127.0.0.1:5673/'
    >>> check_amqp_url("mqtt://x")
    Traceback (most recent call last):
    ...
    monitor.errors.UsageError: --amqp mqtt://x: expected amqp://[user:password@]host[:port][/vhost] or amqps://
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise UsageError(f"--amqp {redact_amqp(url)}: {exc}") from exc
    if parts.scheme not in ("amqp", "amqps") or not parts.hostname:
        raise UsageError(f"--amqp {redact_amqp(url)}: expected amqp://[user:password@]host[:port][/vhost] or amqps://")
    return url


def redact_amqp(url: str) -> str:
    """The URL without its password (for logs and error messages).

    >>> redact_amqp("amqp://u:secret@h/")
    'amqp://u:***@h/'
    """
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
    except ValueError:
        return "<unparsable URL>"
    user, host = parts.netloc.rsplit("@", 1)
    return parts._replace(netloc=f"{user.split(':', 1)[0]}:***@{host}").geturl()


def default_worker_id() -> str:
    """Stable for the process: host, pid and a short random suffix (pids repeat across hosts and restarts)."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:4]}"
