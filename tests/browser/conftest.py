"""Browser tests: the app served on a local port (CSRF on, as in production) and driven by
Playwright in Debian's Chromium at phone width. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from certify import create_app

from ..conftest import TEST_CONFIG

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--lang=vi-VN",
        "--disable-component-update", "--disable-sync"]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE = {"width": 360, "height": 740}

def _unavailable(reason: str):
    """Skip on a developer's machine without a browser; under CI (CI=true) a missing browser is a
    failure, so the browser tests can never silently not run there."""
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


try:
    import playwright.sync_api as playwright_api
except ImportError:  # pragma: no cover - the test extra installs it
    playwright_api = None


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # the test output stays readable
        pass


@pytest.fixture(scope="session")
def live_url(app, database_url, tmp_path_factory):
    """The same database as the `app` fixture (which built the schema), served over HTTP."""
    live = create_app({**TEST_CONFIG, "DATABASE_URL": database_url, "WTF_CSRF_ENABLED": True,
                       "EVIDENCE_FOLDER": str(tmp_path_factory.mktemp("evidence"))})
    server = make_server("127.0.0.1", 0, live, threaded=True, request_handler=QuietHandler)
    url = f"http://127.0.0.1:{server.server_port}"
    live.config["PUBLIC_URL"] = url  # certificates link here (known once the port is chosen)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    if playwright_api is None:
        _unavailable("playwright is not installed (pip install -e '.[test]')")
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        _unavailable("Debian's chromium is not installed (scripts/setup-browser.sh installs it)")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_phone(browser, live_url):
    """Open a fresh phone-sized browser session (its own cookies), as many as a test needs."""
    contexts = []

    def make():
        context = browser.new_context(viewport=PHONE, locale="vi-VN", base_url=live_url,
                                      accept_downloads=True)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def shot(page, name: str, *, last: bool = False) -> None:
    """A full-height phone-width screenshot. A full-page capture leaves Chromium's page unable to
    take clicks afterwards, so the page is opened again in a throw-away tab unless it is the
    test's last look at it (`last`, for pages a GET cannot show again, like a 409)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = str(SHOTS / f"{name}.png")
    if last:
        page.screenshot(path=path, full_page=True)
        return
    copy = page.context.new_page()
    copy.goto(page.url)
    copy.screenshot(path=path, full_page=True)
    copy.close()


def sign_in(page, username: str, password: str = "correct horse battery") -> None:
    page.goto("/signin")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()
