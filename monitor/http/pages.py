"""Errors of the page routes (the reports) as pages: a browser following a report link to a session that is not
there got raw JSON (review7). API clients, and any client that does not accept text/html, still get the JSON error
of every other route."""

from __future__ import annotations

import html
from typing import Final

from aiohttp import web

#: Routes that answer a page: a browser that asks for one gets its error as a page too.
PAGE_PREFIXES: Final = ("/report/",)


def page_error(status: int, message: str) -> web.Response:
    """A small page with the error and the way back (the message escaped).

    >>> page_error(404, "no session <x>").text.count("&lt;x&gt;")
    1
    """
    text = html.escape(message)
    page = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>crampwatch: {status}</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        f"<body><h1>{status}</h1><p>{text}</p>"
        '<p><a href="/history">Session history</a> · <a href="/">Squad</a></p></body></html>'
    )
    return web.Response(text=page, status=status, content_type="text/html", headers={"Cache-Control": "no-store"})


def wants_page(request: web.Request) -> bool:
    """Whether the request is for a page route from a client that accepts text/html (a browser)."""
    return request.path.startswith(PAGE_PREFIXES) and "text/html" in request.headers.get("Accept", "")
