"""One time-zone setting: CERTIFY_TIMEZONE decides both the day the rules use and the day the
pages show (Babel's zone follows it), so near midnight they cannot disagree."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from flask_babel import get_babel

from certify import clock, create_app
from certify.config import ConfigError
from certify.extensions import db
from certify.models import Nomination
from certify.services import deadlines

from .conftest import TEST_CONFIG
from .web_support import Site, sign_in, text

# 17:30 UTC on 14 January 2026 is already 00:30 on 15 January in Hà Nội. The "Đơn vị học tập"
# dossier of 2025 is due before 15/01/2026, so the 14th is its last day on time
# (workflows/don-vi-hoc-tap.yaml, deadlines.submit_before).
SUBMITTED = datetime(2026, 1, 14, 17, 30, tzinfo=timezone.utc)


def _app(database_url, zone: str):
    return create_app({**TEST_CONFIG, "DATABASE_URL": database_url, "TIMEZONE": zone})


@pytest.fixture
def dossier(app):
    site = Site(app)
    nid = site.nomination("submitted", title="don-vi-hoc-tap", year=2025)

    def near_midnight(_w):
        db.session.get(Nomination, nid).submitted_at = SUBMITTED
        db.session.commit()
    site.run(near_midnight)
    return nid


@pytest.mark.parametrize("zone, day, late", [("UTC", "14/01/2026", False),
                                             ("Asia/Ho_Chi_Minh", "15/01/2026", True)])
def test_the_page_shows_the_day_the_rules_use(database_url, dossier, zone, day, late):
    zoned = _app(database_url, zone)
    with zoned.app_context():
        n = db.session.get(Nomination, dossier)
        # The rules: the submission day in the product's zone, and the deadline judged on it.
        assert SUBMITTED.astimezone(clock.zone()).strftime("%d/%m/%Y") == day
        assert deadlines.submitted_late(n) is late
        db.session.remove()

    client = zoned.test_client()
    sign_in(client, "truong")
    receipt = text(client.get(f"/household/nominations/{dossier}/receipt"))
    assert f"<dt>Ngày nộp</dt><dd>{day}</dd>" in receipt
    page = text(client.get(f"/household/nominations/{dossier}"))
    assert ("nộp muộn" in page) is late

    reviewer = zoned.test_client()
    sign_in(reviewer, "review-district")
    queue = text(reviewer.get("/review/?title=don-vi-hoc-tap"))
    assert day in queue and ("nộp muộn" in queue) is late


def test_babel_follows_the_setting(database_url):
    zoned = _app(database_url, "UTC")
    assert zoned.config["BABEL_DEFAULT_TIMEZONE"] == "UTC"
    with zoned.test_request_context():
        assert str(get_babel(zoned).default_timezone) == "UTC"


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", "../../etc/passwd", 7])
def test_an_unknown_zone_stops_the_app_with_a_clear_message(database_url, zone):
    with pytest.raises(ConfigError, match="CERTIFY_TIMEZONE: .* is not a time zone"):
        _app(database_url, zone)


def test_a_separate_babel_zone_is_refused(database_url):
    with pytest.raises(ConfigError, match="set only CERTIFY_TIMEZONE"):
        create_app({**TEST_CONFIG, "DATABASE_URL": database_url, "TIMEZONE": "UTC",
                    "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh"})
