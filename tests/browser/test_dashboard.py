"""The dashboard read on a phone (360 px) and on a desktop: no chart label clipped (each label's
scrollWidth within its box and its box within the screen), the chart's text the size of the
page's body text, and no sideways scrolling of the page. Screenshots in
test-artifacts/screenshots/ (dashboard-360.png, dashboard-desktop.png, public-progress-360.png:
the public page shows the same figures without an account)."""

from __future__ import annotations

import re
from datetime import date

import pytest

from certify.services import units
from tests.factories import CITIZEN
from tests.test_dashboard import recognised
from tests.web_support import Site

from .conftest import PHONE, SHOTS, sign_in

DESKTOP = {"width": 1280, "height": 900}
LONG_NAMES = ("Phường Ngọc Trạo", "Xã Quang Trung (gồm xã Hà Vinh cũ, huyện Hà Trung)")


@pytest.fixture
def site(app):
    return Site(app)


def _town(w):
    for i, name in enumerate(LONG_NAMES):
        unit = units.create(code=f"1681{i}", name=name, level="commune", parent_code="381")
        units.set_denominators(unit, 2025, {CITIZEN: 9000 + i})
        units.set_denominators(unit, 2026, {CITIZEN: 9100 + i})
    units.set_denominators(w.ward_a, 2025, {CITIZEN: 8})
    units.set_denominators(w.ward_a, 2026, {CITIZEN: 70_560})  # a share below 0.1%
    units.set_denominators(w.ward_b, 2026, {CITIZEN: 5})
    for i in range(3):
        recognised(w, "a", f"Công dân A{i}", 2026, date(2026, 3, 2), f"{300 + i}/QĐ-UBND")
    recognised(w, "b", "Công dân B", 2025, date(2025, 6, 2), "310/QĐ-UBND")


CHECK = """() => {
  const body = parseFloat(getComputedStyle(document.body).fontSize);
  const out = [];
  for (const el of document.querySelectorAll('.hbars .hbar-label, .hbars .hbar-value')) {
    const box = el.getBoundingClientRect();
    out.push({text: el.textContent.trim(), font: parseFloat(getComputedStyle(el).fontSize),
              body, scrollWidth: el.scrollWidth, clientWidth: el.clientWidth,
              scrollHeight: el.scrollHeight, clientHeight: el.clientHeight,
              left: box.left, right: box.right, screen: document.documentElement.clientWidth});
  }
  return out;
}"""


@pytest.mark.parametrize("viewport, name, url", [
    (PHONE, "dashboard-360", f"/progress/?title={CITIZEN}&as_of=2026-11-30"),
    (DESKTOP, "dashboard-desktop", f"/progress/?title={CITIZEN}&as_of=2026-11-30"),
    (PHONE, "public-progress-360", f"/public/progress?title={CITIZEN}&unit=381"),
])
def test_dashboard_labels_are_whole_and_page_sized(browser, live_url, site, viewport, name, url):
    site.run(_town)
    context = browser.new_context(viewport=viewport, locale="vi-VN", base_url=live_url)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        if not url.startswith("/public/"):
            sign_in(page, "approve")
        page.goto(url)
        content = page.content()
        assert all(n in content for n in LONG_NAMES)
        labels = page.evaluate(CHECK)
        # Every child's bar, and every year of the path, has its label and its value.
        assert {l["text"] for l in labels} >= set(LONG_NAMES) | {"2025"}
        for l in labels:
            assert l["font"] == l["body"], f"{l['text']!r}: {l['font']}px beside {l['body']}px"
            assert l["scrollWidth"] <= l["clientWidth"], f"{l['text']!r} clipped: {l}"
            assert l["scrollHeight"] <= l["clientHeight"], f"{l['text']!r} clipped: {l}"
            assert 0 <= l["left"] and l["right"] <= l["screen"], f"{l['text']!r} off screen: {l}"
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"the page is {width}px wide"
        # 3 of 70,560 on ward A; no small share rounded away to "0,0%".
        assert "0,004%" in content and not re.search(r"(?<![\d.])0,0%", content)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    finally:
        context.close()
