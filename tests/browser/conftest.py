"""Real headless Chromium (Debian's package) driven by Playwright, against pytest-django's live server.

Without Chromium the browser tests skip with a message, except under CI (the CI variable set),
where a missing browser is a failure: CI installs it with apt.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# (creating users and disputes) are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--disable-quic", "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def _chromium_path() -> str | None:
    for candidate in [os.environ.get("PEACECASE_CHROMIUM", ""), *CHROMIUM_CANDIDATES]:
        if candidate and os.path.exists(candidate):
            return candidate
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def browser():
    path = _chromium_path()
    if path is None:
        message = "No Chromium found (apt-get install -y chromium); the browser tests need it."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.csp_errors = []
    page.on("console", lambda msg: "Content Security Policy" in msg.text and page.csp_errors.append(msg.text))
    yield page
    context.close()


@pytest.fixture
def login(page, live_server, password):
    def do(user):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("E-mail address").fill(user.email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}/")
        return page

    return do


@pytest.fixture
def screenshot(page):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        # caret="initial": hiding the caret injects a style element, which our CSP rightly blocks.
        page.screenshot(path=str(path), full_page=True, caret="initial")
        return path

    return take


@pytest.fixture
def check_accessibility(page):
    """axe-core (bundled by axe-playwright-python) in the page: no serious or critical violation."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def check(label: str) -> None:
        results = axe.run(page)
        bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
        report = "\n".join(
            f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}" for v in bad
        )
        assert not bad, f"{label}: accessibility violations\n{report}"

    return check
