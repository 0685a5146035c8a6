"""Helpers for the page tests: data is built in its own app context, as another process would,
so that each test-client request runs in a fresh context of its own (sessions, Flask-Login's
cached user) exactly as in production."""

from __future__ import annotations

import re
from types import SimpleNamespace

from sqlalchemy import select

from certify.extensions import db
from certify.models import Nomination, Organization, Person, Unit, User

from .factories import PASSWORD, World, build_world, nomination_in

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def load_world() -> World:
    """The World that build_world() made, loaded again in the current app context."""
    users = {u.username: u for u in db.session.scalars(select(User))}
    unit = {u.code: u for u in db.session.scalars(select(Unit))}
    persons = {p.full_name: p for p in db.session.scalars(select(Person))}
    return World(
        province=unit["38"], district=unit["381"], ward_a=unit["16729"], ward_b=unit["16732"],
        admin=users["admin"], household_a=users["ho-a"], household_b=users["ho-b"],
        reviewer_a=users["review-a"], reviewer_b=users["review-b"],
        district_reviewer=users["review-district"], approver=users["approve"],
        organization_user=users["truong"], person_a=persons["Nguyễn Văn An"],
        person_b=persons["Trần Thị Bình"],
        organization=db.session.scalars(select(Organization)).first(), users=users)


class Site:
    """The test world seen from outside: ids to put in URLs, and set-up in a context of its own."""

    def __init__(self, app):
        self.app = app
        with app.app_context():
            w = build_world()
            self.person_a, self.person_b = w.person_a.id, w.person_b.id
            self.organization = w.organization.id
            db.session.remove()

    def run(self, fn):
        """fn(world) in a fresh app context; returns what it returns (ids, not rows)."""
        with self.app.app_context():
            try:
                return fn(load_world())
            finally:
                db.session.remove()

    def nomination(self, state: str, **kw) -> int:
        return self.run(lambda w: nomination_in(w, state, **kw).id)

    def get(self, model, ident):
        """A fresh copy of a row, as plain attributes."""
        with self.app.app_context():
            row = db.session.get(model, ident)
            if row is None:
                return None
            data = {c.key: getattr(row, c.key) for c in row.__table__.columns}
            db.session.remove()
            return SimpleNamespace(**data)

    def nomination_row(self, ident):
        return self.get(Nomination, ident)

    def count(self, model) -> int:
        with self.app.app_context():
            n = len(db.session.scalars(select(model)).all())
            db.session.remove()
            return n


def sign_in(client, username: str, password: str = PASSWORD):
    response = client.post("/signin", data={"username": username, "password": password})
    assert response.status_code == 302, response.status_code
    return response


def text(response) -> str:
    return response.get_data(as_text=True)


def csrf_token(html: str) -> str:
    m = CSRF.search(html)
    assert m, "no CSRF token in the page"
    return m.group(1) or m.group(2)
