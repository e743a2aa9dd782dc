"""The post-run report opens in real headless Chromium with every chart drawn (six inline SVGs with their data
line), for a CSV run and for each real recording in ../shared/realdata (skipped when absent)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from monitor.cli import main
from tests.browser.conftest import CHROMIUM_ARGS
from tests.monitor.test_analyze_cli import _csv_run
from tests.monitor.test_report import CHARTS, REAL_FILES, REALDATA

pytestmark = [pytest.mark.browser]

#: Per chart: the width and height it takes on the page, and the points of its longest path (the data line).
CHART_JS = """() => Array.from(document.querySelectorAll('figure[data-chart]')).map(f => {
  const svg = f.querySelector('svg'); const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
  const paths = svg ? Array.from(svg.querySelectorAll('path')) : [];
  const points = Math.max(0, ...paths.map(p => (p.getAttribute('d') || '').split(/[LM]/).length - 1));
  return {chart: f.dataset.chart, width: box.width, height: box.height, points};
})"""


async def open_reports(chromium: str, pages: list[tuple[str, Path]], artifacts: Path) -> dict[str, list[dict]]:
    from playwright.async_api import async_playwright

    out: dict[str, list[dict]] = {}
    errors: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            for name, path in pages:
                page = await browser.new_page(viewport={"width": 1100, "height": 900})
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                await page.goto(path.as_uri())
                await page.wait_for_selector("figure[data-chart=risk] svg", timeout=10_000)
                out[name] = await page.evaluate(CHART_JS)
                await page.screenshot(path=str(artifacts / f"report-{name}.png"), full_page=True)
                await page.close()
        finally:
            await browser.close()
    assert not errors, errors
    return out


async def test_reports_open_in_chromium_with_every_chart_drawn(
    chromium: str, artifacts: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = [("csv", _csv_run(tmp_path))] + [(n.split(".")[0], REALDATA / n) for n in REAL_FILES]
    pages: list[tuple[str, Path]] = []
    for name, source in sources:
        if not source.is_file():
            continue  # ../shared/realdata is only in the project workspace
        out = tmp_path / f"{name}.html"
        assert await asyncio.to_thread(main, ["report", str(source), "-o", str(out)]) == 0  # its own event loop
        pages.append((name, out))
    capsys.readouterr()
    drawn = await open_reports(chromium, pages, artifacts)
    assert set(drawn) == {name for name, _ in pages}
    for name, charts in drawn.items():
        assert [c["chart"] for c in charts] == list(CHARTS), name
        for c in charts:
            assert c["width"] > 500 and c["height"] > 100, (name, c)
            assert c["points"] >= 2, (name, c)  # a data line (matplotlib merges the points of a flat one)
        assert min(c["points"] for c in charts if c["chart"] in ("hr", "risk")) >= 10, name
