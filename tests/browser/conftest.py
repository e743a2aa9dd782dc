"""Browser tests run in real headless Chromium (Debian's ``/usr/bin/chromium``) driven by the ``playwright``
Python package, which is never asked to download a browser.

Outside CI they are skipped when Chromium (or the playwright package) is missing; with ``CI`` set they must run,
so a missing browser fails them instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CRAMPWATCH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
STATIC = Path(__file__).resolve().parents[2] / "monitor" / "static"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (required in CI: apt-get install chromium; pip install playwright)")
    pytest.skip(reason)


@pytest.fixture
def chromium() -> str:
    """Path of the Chromium binary (skip outside CI when absent, fail in CI)."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _unavailable(f"{CHROMIUM} is not installed")
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        _unavailable("the playwright Python package is not installed")
    return CHROMIUM


@pytest.fixture
def artifacts() -> Path:
    """``test-artifacts/`` at the repository root (gitignored): screenshots for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@asynccontextmanager
async def script_page(chromium: str, *scripts: str) -> AsyncIterator[tuple[Any, list[str]]]:
    """A blank page in headless Chromium with the dashboard's ``scripts`` (file names in ``monitor/static``)
    loaded, and the list its uncaught errors are appended to."""
    from playwright.async_api import async_playwright

    errors: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            page = await browser.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            await page.set_content("<!doctype html><title>t</title><body></body>")
            for name in scripts:
                await page.add_script_tag(content=(STATIC / name).read_text(encoding="utf-8"))
            yield page, errors
        finally:
            await browser.close()
