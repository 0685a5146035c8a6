"""Many clients writing at once get answers, never server errors (SQLite queues its writers)."""

from __future__ import annotations

import threading

import pytest

from tests.factories import CITIZEN, PASSWORD, user

THREADS = 8


@pytest.mark.slow
def test_simultaneous_sign_ins_registrations_and_nominations_all_succeed(app, world):
    for i in range(THREADS):
        user(f"ho-{i}", "household", "16729")
    barrier = threading.Barrier(THREADS)
    results: list[tuple[int, ...]] = []
    errors: list[BaseException] = []

    def household(i: int) -> None:
        try:
            client = app.test_client()
            barrier.wait()
            r1 = client.post("/api/v1/auth/token", json={"username": f"ho-{i}", "password": PASSWORD})
            auth = {"Authorization": f"Bearer {r1.get_json()['token']}"}
            r2 = client.post("/api/v1/persons", headers=auth, json={
                "full_name": f"Người {i}", "national_id": f"0382000000{i:02d}", "birth_year": 1990,
                "gender": "female", "target_group": "worker"})
            r3 = client.post("/api/v1/nominations", headers=auth, json={
                "title": CITIZEN, "subject_id": r2.get_json()["id"], "year": 2026})
            results.append((r1.status_code, r2.status_code, r3.status_code))
        except BaseException as exc:  # reported below, with the thread's own traceback
            errors.append(exc)

    threads = [threading.Thread(target=household, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sorted(results) == [(200, 201, 201)] * THREADS
    from certify.extensions import db
    from certify.models import Nomination

    assert db.session.query(Nomination).count() == THREADS
