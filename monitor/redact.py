"""Secrets never reach a log line or an error message: URLs are shown without their password, and webhook URLs
(whose path or query is often the secret, e.g. ``https://hooks.example/services/T0/B0/XXXX``) without path and
query.

>>> redact_url("mqtt://monitor:s3cret@broker.example:1883")
'mqtt://monitor:***@broker.example:1883'
>>> redact_url("https://hooks.example/services/T0/B0/XXXX?token=abc")
'https://hooks.example/***'
>>> redact_url("postgresql://cw:pw@db/crampwatch", keep_path=True)
'postgresql://cw:***@db/crampwatch'
>>> redact_url("not a url at all")
'not a url at all'
>>> redact_url("mqtt://u:p@[::1")  # unparsable, but it still has a password in it
'mqtt://***@[::1'
>>> redact_url("mqtt://127.0.0.1:99999"), redact_url("https://hooks.example:0x1/services/T0")  # a bad port
('mqtt://127.0.0.1:99999', 'https://hooks.example:0x1/***')
"""

from __future__ import annotations

from urllib.parse import urlsplit


def redact_url(url: str, *, keep_path: bool = False) -> str:
    """``url`` with the password replaced by ``***`` and (unless ``keep_path``) path, query and fragment too."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:  # a bad port or bracket: the host is still shown, what is secret is not
        return _redact_unparsable(url, keep_path=keep_path)
    if not parts.scheme or not parts.netloc:
        return url
    user = parts.username
    auth = f"{user}:***@" if user and parts.password is not None else f"{user}@" if user else ""
    if not user and "@" in parts.netloc:
        auth = "***@"
    shown_host = f"[{host}]" if ":" in host else host
    netloc = f"{auth}{shown_host}{f':{port}' if port is not None else ''}"
    if keep_path:
        return f"{parts.scheme}://{netloc}{parts.path}"
    tail = "/***" if parts.path not in ("", "/") or parts.query or parts.fragment else ""
    return f"{parts.scheme}://{netloc}{tail}"


def _redact_unparsable(url: str, *, keep_path: bool) -> str:
    """A URL ``urlsplit`` cannot take, cut by hand: user information masked, path masked unless ``keep_path``.
    (It was all ``scheme://***``: 'bad broker URL 'mqtt://***': Port out of range' hid the port it was about.)"""
    if "://" not in url:
        return "***"
    scheme, _, rest = url.partition("://")
    end = next((i for i, c in enumerate(rest) if c in "/?#"), len(rest))
    netloc, tail = rest[:end], rest[end:]
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    if tail and not keep_path:
        tail = "/***"
    elif keep_path:
        tail = tail.split("?", 1)[0].split("#", 1)[0]  # as the parsed path: a query may hold a password
    return f"{scheme}://{netloc}{tail}"
