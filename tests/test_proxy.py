"""Behind a reverse proxy, rate limits count each client, not the proxy."""

from certify import create_app
from tests.conftest import TEST_CONFIG


def _app(database_url, proxies: int):
    return create_app({**TEST_CONFIG, "DATABASE_URL": database_url, "PROXY_FIX": proxies,
                       "PUBLIC_RATE_LIMIT": "2 per minute"})


def _statuses(app, addresses):
    client = app.test_client()
    return [client.get("/api/v1/public/dossiers/NONE",
                       headers={"X-Forwarded-For": address}).status_code for address in addresses]


def test_with_proxy_fix_each_forwarded_client_has_its_own_budget(app, database_url):
    assert _statuses(_app(database_url, 1), ["1.1.1.1", "1.1.1.1", "2.2.2.2", "1.1.1.1"]) == \
        [404, 404, 404, 429]


def test_without_it_the_header_is_not_trusted(app, database_url):
    assert _statuses(_app(database_url, 0), ["1.1.1.1", "2.2.2.2", "3.3.3.3"]) == [404, 404, 429]
