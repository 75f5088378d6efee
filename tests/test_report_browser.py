"""The report in a real browser: Debian's headless Chromium, driven by Playwright, opens it from disk.

The filter and sort work, nothing is requested from the network, there are no console errors
(a Content-Security-Policy violation would be one), the page degrades without JavaScript,
prints without its controls and fits a phone's width.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO, run_cli
from tests.test_redaction import canary_key
from tests.test_report_html import TODAY, make_repo

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

pytestmark = pytest.mark.browser

if CHROMIUM is None:
    pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)", allow_module_level=True)
playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install playwright)"
)


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    make_repo(root, canary_key())
    proc = run_cli(
        "report",
        "acme-scripts",
        str(REPO / "examples" / "legacy-scripts"),
        "-o",
        "report.html",
        "--today",
        TODAY,
        cwd=root,
    )
    assert proc.returncode == 0, proc.stderr
    return root / "report.html"


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        try:
            b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        except Exception as exc:  # noqa: BLE001 - a broken browser install is an environment problem
            pytest.skip(f"cannot launch {CHROMIUM}: {str(exc).splitlines()[0]}")
        yield b
        b.close()


class Page:
    """A page with its console messages, page errors and requests recorded."""

    def __init__(self, browser, url: str, **context) -> None:
        self.context = browser.new_context(**context)
        self.page = self.context.new_page()
        self.console: list[str] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(url)
        self.page.wait_for_load_state("load")

    def visible_rows(self) -> int:
        return self.page.locator("#findings-table tbody tr:visible").count()

    def close(self) -> None:
        self.context.close()


@pytest.fixture()
def page(browser, report_file):
    p = Page(browser, report_file.as_uri())
    yield p
    p.close()


def test_opens_from_disk_without_network_or_console_errors(page, report_file):
    assert page.requests == [report_file.as_uri()]
    assert page.errors == []
    assert [m for m in page.console if m.startswith(("error", "warning"))] == []
    assert page.page.title().startswith("Celonis OAuth migration report")


def test_filter_by_text_and_severity(page):
    p = page.page
    total = p.locator("#findings-table tbody tr").count()
    assert p.locator("#findings-controls").is_visible()
    assert page.visible_rows() == total
    assert p.locator("#filter-count").inner_text() == f"{total} of {total} findings shown"
    p.fill("#filter-text", "push")
    push_rows = p.locator("#findings-table tbody tr:visible").all_inner_texts()
    assert push_rows and all("push" in t.lower() for t in push_rows)
    assert len(push_rows) < total
    p.fill("#filter-text", "")
    p.select_option("#filter-severity", "high")
    assert page.visible_rows() == p.locator("#findings-table tbody tr[data-severity=high]").count() >= 1
    assert all(t.startswith("high") for t in p.locator("#findings-table tbody tr:visible").all_inner_texts())
    p.select_option("#filter-severity", "")
    p.select_option("#filter-fix", "manual")
    manual = p.locator("#findings-table tbody tr[data-fix=manual]").count()
    assert page.visible_rows() == manual
    assert p.locator("#filter-count").inner_text() == f"{manual} of {total} findings shown"
    assert page.errors == []


def test_sort_by_line(page):
    p = page.page
    header = p.locator("#findings-table thead th", has_text="Line")
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    lines = [int(t) for t in p.locator("#findings-table tbody tr td:nth-child(3)").all_inner_texts()]
    assert lines == sorted(lines)
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "descending"
    lines = [int(t) for t in p.locator("#findings-table tbody tr td:nth-child(3)").all_inner_texts()]
    assert lines == sorted(lines, reverse=True)


def test_anchor_links_reach_the_file_sections(page):
    p = page.page
    link = p.locator("#findings-table tbody tr a").first
    target = link.get_attribute("href")
    link.click()
    assert p.evaluate("location.hash") == target
    assert p.locator(target).is_visible()


def test_without_javascript_everything_is_shown(browser, report_file):
    page = Page(browser, report_file.as_uri(), java_script_enabled=False)
    try:
        p = page.page
        assert not p.locator("#findings-controls").is_visible()
        assert page.visible_rows() == p.locator("#findings-table tbody tr").count() > 0
    finally:
        page.close()


def test_print_media_hides_controls_and_shows_every_row(page):
    p = page.page
    p.select_option("#filter-severity", "high")
    p.emulate_media(media="print")
    assert not p.locator("#findings-controls").is_visible()
    assert not p.locator("nav.toc").is_visible()
    assert page.visible_rows() == p.locator("#findings-table tbody tr").count()
    pdf = p.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000


def test_readable_on_a_phone(browser, report_file):
    page = Page(
        browser,
        report_file.as_uri(),
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        device_scale_factor=2,
    )
    try:
        p = page.page
        # The page itself never scrolls sideways; wide tables scroll inside their own wrapper.
        assert p.evaluate("document.documentElement.scrollWidth") <= 390 + 1
        size = p.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert size >= 14
    finally:
        page.close()
