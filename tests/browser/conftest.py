"""Real-browser fixtures: Playwright's Python package driving Debian's /usr/bin/chromium against
pytest-django's live_server. Screenshots of failing tests go to test-artifacts/."""

import os
import re
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django must not mind.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1440, "height": 1000})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed and not page.is_closed():
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        (ARTIFACTS / f"{name}.html").write_text(page.content())
    context.close()


class Screens:
    """Counts the screens a staff member goes through for one job (each distinct page they land
    on: same path = same screen), and saves a screenshot of each to test-artifacts/<job>-<n>.png."""

    def __init__(self, page, job: str):
        self.page = page
        self.job = job
        self.paths: list[str] = []

    def seen(self, label: str) -> None:
        from urllib.parse import urlsplit

        path = urlsplit(self.page.url).path
        if path not in self.paths:
            self.paths.append(path)
        ARTIFACTS.mkdir(exist_ok=True)
        index = len(self.paths)
        self.page.screenshot(path=str(ARTIFACTS / f"{self.job}-{index}-{label}.png"), full_page=True)

    @property
    def count(self) -> int:
        return len(self.paths)


@pytest.fixture
def screens(page, request):
    return lambda job: Screens(page, job)
