"""Real-browser tests: Playwright driving Debian's /usr/bin/chromium against the live test server.

Every page load is watched: console errors and any request leaving 127.0.0.1 fail the test.
Without chromium (a laptop) these tests are skipped; CI sets REQUIRE_BROWSER=1 so they must run.
"""

import os
import shutil
from urllib.parse import urlparse

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


def pytest_collection_modifyitems(config, items):
    if shutil.which(CHROMIUM) or os.path.exists(CHROMIUM):
        return
    if os.environ.get("REQUIRE_BROWSER"):
        raise pytest.UsageError(f"REQUIRE_BROWSER is set but {CHROMIUM} is missing")
    skip = pytest.mark.skip(reason=f"{CHROMIUM} not installed (apt install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True, scope="module")
def _orm_beside_playwright():
    # Playwright's sync API keeps an event loop in the test thread; the ORM calls of the test itself
    # (and the database flush after it) are ordinary blocking calls. Module scope: set before the
    # database fixtures and removed after them, so no test outside tests/browser/ inherits it.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="module")
def _playwright_browser():
    # Module scope: Playwright's event loop must be gone before tests of other modules run their ORM
    # calls in this thread (Django refuses them while a loop runs).
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        yield browser
        browser.close()


class PageWatch:
    def __init__(self):
        self.console_errors = []
        self.outside_requests = []

    def check(self):
        assert not self.console_errors, f"console errors: {self.console_errors}"
        assert not self.outside_requests, f"requests left 127.0.0.1: {self.outside_requests}"


@pytest.fixture
def page(_playwright_browser, live_server, settings):
    """A fresh browser page; at teardown asserts no console errors and no request off 127.0.0.1."""
    settings.SITE_URL = live_server.url
    context = _playwright_browser.new_context(locale="en-GB")
    page = context.new_page()
    watch = PageWatch()

    def on_console(message):
        if message.type == "error":
            watch.console_errors.append(message.text)

    def guard(route):
        host = urlparse(route.request.url).hostname
        if host in ("127.0.0.1", "localhost") or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            watch.outside_requests.append(route.request.url)
            route.abort()

    page.on("console", on_console)
    page.on("pageerror", lambda exc: watch.console_errors.append(str(exc)))
    page.route("**/*", guard)
    page.watch = watch
    yield page
    context.close()
    watch.check()


def mobile_page(browser):
    return browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True).new_page()
