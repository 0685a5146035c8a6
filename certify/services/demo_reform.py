"""The demo scenario `reform-2025` (issue 8, item 5): thị xã Bỉm Sơn from January 2024 through the
1 July 2025 reorganisation to today, under the dated tier profile `vn-2025`.

    CERTIFY_PROFILE=vn-2025 flask --app certify demo-data --scenario reform-2025

The jurisdiction, its accounts, households and organizations are the default demo's as of 2024
(certify/data/bim-son.yaml, built by demo.py's loader). Then, each step on its own day, through the
same services people use:

- 2024: the units' dossiers of 2023 (TT 22/2020) filed in January, verified and recognised by the
  town on 10/02/2024; citizens' dossiers of 2024 filed in September, verified by the wards and
  recognised by the town on 20/11/2024, and more filed in November, recognised on 15/01/2025;
- 2025 before the change: the units' dossiers of 2024 (TT 24/2023) filed in January and citizens'
  of 2025 filed in May, open on 30/06/2025 (submitted; half of the citizens' verified);
- 1/7/2025: the shipped Bỉm Sơn change (certify/data/reorganizations/thanh-hoa-2025-bim-son.yaml)
  applied through reorganizations.apply: the town and its 7 wards and commune end, phường Bỉm Sơn
  and phường Quang Trung begin; the open dossiers move to them in their state; decided ones stay;
- July–August 2025: the new tier decides: the wards' reviewers verify, each new ward's approver
  recognises in a decision dated 15/08/2025 (one dossier is left for today's reviewer); the units'
  open dossiers wait for the tier in force (vn-2025: the province's reviewer);
- 2026 (when today is 15/04/2026 or later): citizens' dossiers of 2026 filed in the new wards in
  March and recognised by them on 15/04/2026.

Every dossier is filed within its title's deadlines (workflows/*.yaml); the January 2025
decision comes after the citizens' approval deadline of 15/12/2024, as decisions sometimes do.

The steps act "on their day": the product's clock (certify.clock.now/today, which the workflow
engine, tier profile and decisions read) is set to that day while the step runs, and restored
after. Nothing else differs from what people could have done on those days.
"""

from __future__ import annotations

import random
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from .. import clock
from ..errors import CertifyError, Invalid
from ..extensions import db
from ..models import Nomination, Unit, User
from ..workflow import meaning, workflows
from . import accounts, demo, nominations, reorganizations, units
from .demo import AlreadyLoaded, Summary, _Loader

NAME = "reform-2025"
PROFILE = "vn-2025"
REFORM_FILE = (Path(__file__).resolve().parent.parent / "data" / "reorganizations"
               / "thanh-hoa-2025-bim-son.yaml")
START = date(2024, 1, 8)
# The days of the story (each step acts on its day).
DAYS = {
    "units_file_2023": date(2024, 1, 10), "units_verify_2023": date(2024, 1, 24),
    "units_decide_2023": date(2024, 2, 10),
    "file_2024": date(2024, 9, 16), "verify_2024": date(2024, 10, 14),
    "decide_2024": date(2024, 11, 20),
    "file_2024_late": date(2024, 11, 18), "verify_2024_late": date(2024, 12, 9),
    "decide_2024_late": date(2025, 1, 15),
    "units_file_open": date(2025, 1, 8),
    "file_open": date(2025, 5, 12), "verify_open": date(2025, 6, 10),
    "verify_after": date(2025, 7, 21), "decide_after": date(2025, 8, 15),
    "file_2026": date(2026, 3, 9), "verify_2026": date(2026, 3, 23),
    "decide_2026": date(2026, 4, 15),
}
# Today must come after the last step.
EARLIEST_TODAY = date(2025, 9, 1)
# The accounts the new tier needs from 1/7/2025 (role, unit code, username, display name); the
# wards' reviewers and the town's staff accounts moved to the new wards with the reorganisation.
NEW_ACCOUNTS = (
    ("approver", "14812", "phe-duyet-phuong-bim-son", "Lãnh đạo phê duyệt — Phường Bỉm Sơn"),
    ("approver", "14818", "phe-duyet-phuong-quang-trung",
     "Lãnh đạo phê duyệt — Phường Quang Trung"),
    ("reviewer", "38", "tham-dinh-thanh-hoa", "Cán bộ thẩm định — Thanh Hóa"),
    ("approver", "38", "phe-duyet-thanh-hoa", "Lãnh đạo phê duyệt — Thanh Hóa"),
)
# The reviewer who acts for each new ward: a former ward's reviewer, moved there on 1/7/2025.
WARD_REVIEWERS = {"14812": "tham-dinh-ba-dinh", "14818": "tham-dinh-ngoc-trao"}


class WrongProfile(CertifyError):
    status, code = 409, "wrong_profile"


@dataclass
class ReformSummary(Summary):
    reorganization: reorganizations.Plan | None = None
    # (the day, the approver's unit code, how many dossiers) of every recognition decision
    decisions: list[tuple[date, str, int]] = field(default_factory=list)


def planned_usernames(data: dict) -> list[str]:
    return demo.planned_usernames(data) + [a[2] for a in NEW_ACCOUNTS]


def load(*, password: str | None = None, today: date | None = None,
         seed: int = 2024) -> ReformSummary:
    """Load the scenario into an empty database under the `vn-2025` profile; refuses (nothing
    changed) under another profile, on a database that holds units, or before EARLIEST_TODAY."""
    profile = current_app.config.get("PROFILE")
    if profile != PROFILE:
        raise WrongProfile(
            f"The {NAME} scenario runs under the dated tier profile {PROFILE} (tiers in force on "
            f"the day: three until 30/6/2025, two from 1/7/2025); the profile in force is "
            f"{profile!r}. Run with CERTIFY_PROFILE={PROFILE}.",
            {"setting": "CERTIFY_PROFILE", "wanted": PROFILE, "profile": profile})
    if password is not None and (reasons := accounts.password_reasons(password)):
        raise Invalid("The demo password is not allowed.", reasons)
    if db.session.scalar(select(func.count()).select_from(Unit)):
        raise AlreadyLoaded("The database already holds administrative units; the demo data "
                            "is loaded only into an empty database.")
    data = demo.read_data()
    taken = db.session.scalars(
        select(User.username).where(User.username.in_(planned_usernames(data)))).all()
    if taken:
        raise AlreadyLoaded("Some demo usernames are already in use.", {"usernames": sorted(taken)})
    today = today or clock.today()
    if today < EARLIEST_TODAY:
        raise Invalid(f"The {NAME} scenario ends on {DAYS['decide_after']:%d/%m/%Y}; today must "
                      f"be {EARLIEST_TODAY:%d/%m/%Y} or later.", [{
                          "field": "(scenario)", "code": "too_early",
                          "message": f"today must be {EARLIEST_TODAY.isoformat()} or later"}])
    return _ReformLoader(data, today, random.Random(seed), password).run()


@contextmanager
def on_day(day: date, hour: int = 9):
    """The product's clock set to `hour` o'clock of `day` in CERTIFY_TIMEZONE while the block
    runs (the steps of the story act on their day), restored after."""
    moment = datetime.combine(day, time(hour), tzinfo=clock.zone()).astimezone(timezone.utc)
    saved = clock.now, clock.today
    clock.now, clock.today = (lambda: moment), (lambda: day)
    try:
        yield
    finally:
        clock.now, clock.today = saved


class _ReformLoader(_Loader):
    def __init__(self, data: dict, today: date, rng: random.Random, password: str | None):
        super().__init__(data, START, rng, password)
        self.real_today = today
        self.summary = ReformSummary()

    def run(self) -> ReformSummary:
        with on_day(START):
            self.make_units()
            self.make_denominators()
            self.admin = self.account("admin-demo", "admin", None, "Quản trị (demo)")
            self.make_officials()
            households = self.make_households()
            organizations = self.make_organizations()
            self.make_members(households, organizations)
        citizen = next(wf for wf in workflows().values() if wf.spec.subject == "person")
        unit_title = next(wf for wf in workflows().values() if wf.spec.subject == "organization")
        # Persons: the first two of each household are recognised for 2024 in November 2024, the
        # third in January 2025; the fourth files for 2025, still open on 30/6/2025.
        first = [(p, h) for h, persons in households for p in persons[:2]]
        second = [(persons[2], h) for h, persons in households]
        still_open = [(persons[3], h) for h, persons in households]
        self.decided(unit_title, organizations[:4], 2023, "units_file_2023", "units_verify_2023",
                     "units_decide_2023")
        self.decided(citizen, first, 2024, "file_2024", "verify_2024", "decide_2024")
        self.decided(citizen, second, 2024, "file_2024_late", "verify_2024_late",
                     "decide_2024_late")
        # Units' 2024 dossiers (TT 24/2023) filed in January 2025, still waiting for their review
        # on 30/6/2025: they move to the new wards and wait for the tier of the day.
        self.left_open(unit_title, organizations[4:7], 2024, "units_file_open", verified_every=0)
        open_ids = self.left_open(citizen, still_open, 2025, "file_open", verified_every=2)
        change = reorganizations.parse(REFORM_FILE.read_text(encoding="utf-8"))
        with on_day(change.effective, 8):
            self.summary.reorganization = reorganizations.apply(change, actor=self.admin)
            self.new_tier()
        self.decide_after(citizen, open_ids)
        if self.real_today >= DAYS["decide_2026"]:
            # 2026's dossiers, filed in the new wards and decided by them.
            self.decided(citizen, [(persons[0], h) for h, persons in households], 2026,
                         "file_2026", "verify_2026", "decide_2026")
        self.summary.units = db.session.scalar(select(func.count()).select_from(Unit))
        # The accounts as they stand today (the town's and the wards' moved to the new wards).
        now_at = dict(db.session.execute(select(User.username, Unit.code)
                                         .join(Unit, Unit.id == User.unit_id)).all())
        for account in self.summary.accounts:
            account.unit_code = now_at.get(account.username, account.unit_code)
        for wf in workflows().values():
            for state, count in Counter(db.session.scalars(
                    select(Nomination.state).where(Nomination.title_code == wf.code))).items():
                self.summary.nominations[(wf.code, state)] += count
        return self.summary

    def make_denominators(self) -> None:
        """The wards' citizens and the town's agencies and units, from 2023 to this year; the
        reorganisation carries the wards' figures from 2025 to the new wards (flagged for the
        admin to check)."""
        d = self.data
        growth, base = d["growth_per_year"], d["reference_year"]
        for year in range(START.year - 1, self.real_today.year + 1):
            for wf in workflows().values():
                if wf.spec.subject == "person":
                    for unit, c in zip(self.communes, d["communes"]):
                        value = round(c["citizens"] * (1 + growth) ** (year - base))
                        units.set_denominators(unit, year, {wf.code: value})
                        by_year = self.summary.denominators.setdefault(wf.code, {})
                        by_year[year] = by_year.get(year, 0) + value
                else:
                    value = d["district"]["agencies_and_units"]
                    units.set_denominators(self.district, year, {wf.code: value})
                    self.summary.denominators.setdefault(wf.code, {})[year] = value

    # -- the story ------------------------------------------------------------------------------

    def file(self, wf, subject, applicant, year: int, quality: float):
        rules = wf.rules_for_year(year)
        n = nominations.create(applicant, title=wf.code, subject_id=subject.id, year=year,
                               self_assessment=self.scores(rules, quality))
        self.attach_documents(applicant, n, rules)
        step = meaning.procedure(wf.spec)
        return nominations.fire(applicant, n.id, step["submit"], version=n.version)

    def verify(self, wf, n):
        n = db.session.get(Nomination, n.id)
        reviewer = self.official(wf, "reviewer", n)
        scores = n.self_assessment
        return nominations.fire(reviewer, n.id, meaning.procedure(wf.spec)["score"],
                                version=n.version, assessment=scores)

    def decide(self, wf, ids: list[int], day: date) -> None:
        """One recognition decision per approver, dated `day`, over the dossiers `ids`."""
        by_approver: dict[int, list[int]] = {}
        for nid in ids:
            n = db.session.get(Nomination, nid)
            by_approver.setdefault(self.official(wf, "approver", n).id, []).append(nid)
        for approver_id, listed in sorted(by_approver.items()):
            approver = db.session.get(User, approver_id)
            nominations.issue_decision(approver, number=self.next_number(day.year), date_=day,
                                       signer=self.rng.choice(demo.SIGNERS),
                                       signer_position="tm_chu_tich", place=approver.unit.name,
                                       nomination_ids=listed)
            self.summary.decisions.append((day, approver.unit.code, len(listed)))

    def decided(self, wf, subjects, year: int, filed: str, verified: str, decided: str) -> None:
        with on_day(DAYS[filed]):
            made = [self.file(wf, s, a, year, (0.9, 0.8, 1.0)[i % 3])
                    for i, (s, a) in enumerate(subjects)]
        with on_day(DAYS[verified]):
            made = [self.verify(wf, n) for n in made]
        with on_day(DAYS[decided]):
            self.decide(wf, [n.id for n in made], DAYS[decided])

    def left_open(self, wf, subjects, year: int, filed: str, verified_every: int) -> list[int]:
        """Dossiers filed on DAYS[filed] and still open on 30/6/2025: every
        `verified_every`-th verified in June (0: none)."""
        with on_day(DAYS[filed]):
            made = [self.file(wf, s, a, year, 0.9) for s, a in subjects]
        if verified_every:
            with on_day(DAYS["verify_open"]):
                made = [self.verify(wf, n) if i % verified_every == 0 else n
                        for i, n in enumerate(made)]
        return [n.id for n in made]

    def new_tier(self) -> None:
        """From 1/7/2025: the new wards' approvers and the province's officials."""
        for role, code, username, name in NEW_ACCOUNTS:
            user = self.account(username, role, code, name)
            self.users[(role, user.unit_id)] = user
        # The town's agencies and units are counted by the province from then on (its figure
        # was the town's: a split unit's figure is not carried; the admin enters it).
        for wf in workflows().values():
            if wf.spec.subject == "organization":
                for year in range(reorganizations.parse(REFORM_FILE.read_text(
                        encoding="utf-8")).effective.year, self.real_today.year + 1):
                    units.set_denominators(self.province, year,
                                           {wf.code: self.data["district"]["agencies_and_units"]})
        for code, username in WARD_REVIEWERS.items():
            ward = units.find(code)
            self.users[("reviewer", ward.id)] = db.session.scalar(
                select(User).where(User.username == username))

    def decide_after(self, wf, ids: list[int]) -> None:
        """The dossiers that moved: those still waiting verified by the new wards' reviewers in
        July (but the last, left for today's reviewer), all verified ones recognised by each new
        ward's approver on 15/08/2025."""
        score = meaning.procedure(wf.spec)["score"]
        with on_day(DAYS["verify_after"]):
            for nid in ids[:-1]:
                n = db.session.get(Nomination, nid)
                if wf.spec.transition(score, n.state):  # still waiting for its review
                    self.verify(wf, n)
        with on_day(DAYS["decide_after"]):
            self.decide(wf, ids[:-1], DAYS["decide_after"])
