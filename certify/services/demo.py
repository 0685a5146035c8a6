"""Demo data: the seed's jurisdiction (thị xã Bỉm Sơn) with accounts and nominations in every state.

Everything goes through the same services people use — units, accounts, households, nominations,
workflow events, recognition decisions, imports — so the demo holds nothing the product could not
have produced itself. The jurisdiction is data: certify/data/bim-son.yaml.

On top of the named accounts' dossiers (every state of both titles), the demo carries three years
of history (`make_history`): the wards' households and members come in through the `persons`
import, the three evaluation years before the open one as paper recognitions (`recognitions`
import, one decision per ward and year), rising each year until the wards' holders reach
`history.holders_today` of their citizens; the organizations' recognitions likewise; and the open
year's dossiers go through the workflow (filed by the organizations for their members, submitted,
verified, some recognised by a decision today), so the review and decision queues have work.
`scale` multiplies the wards' citizens (the denominators) and the generated people together.
"""

from __future__ import annotations

import csv
import io
import math
import random
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable

import yaml
from flask import current_app
from sqlalchemy import func, select

from .. import clock, rubric
from ..errors import CertifyError, Invalid
from ..extensions import db
from ..models import Nomination, Person, Unit, User
from ..workflow import meaning, workflows
from . import accounts, deadlines, imports, members, nominations, people, units
from . import progress as progress_service

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "bim-son.yaml"
# The day of the year the district signs its recognition decision for the year before
# (TT 24/2023: recognition before 15 February).
DECISION_DAY = (2, 10)
SIGNERS = ("Nguyễn Văn Hùng", "Trần Thị Mai", "Lê Quang Minh")

# How each nomination of the demo ends up. "approved_decision" and "revoked" go through a
# recognition decision for last year's evaluation; "expired" through the decision of the year
# before (a 1-year title has lapsed since); "approved_event" through the approve button today.
CITIZEN_PLANS = ("approved_decision", "submitted", "verified", "draft", "approved_decision",
                 "returned", "rejected", "withdrawn", "approved_event", "revoked", "expired",
                 "submitted", "approved_decision", "verified")
ORGANIZATION_PLANS = ("approved_decision", "submitted", "verified", "draft", "returned",
                      "rejected", "withdrawn", "revoked", "approved_event")
# Plans whose unit dossiers never reach a reviewer's verify: TT 24's targets need no share there.
TARGETS_UNCHECKED = ("draft", "submitted", "returned", "withdrawn", "rejected")
ROLE_PREFIX = {"reviewer": "tham-dinh", "approver": "phe-duyet"}
# The range of `scale`: 1.0 is the town's ~70,000 citizens; tests use a few hundredths.
MIN_SCALE, MAX_SCALE = 0.001, 5.0
# The day of December the town signs the citizens' recognition decision of the year (before the
# workflow file's approve_before, 15/12), and the day of February it signs the units' of the year
# before (TT 24/2023: before 15 February).
CITIZEN_DECISION_DAY = (12, 10)
UNIT_DECISION_DAY = (2, 10)


class AlreadyLoaded(CertifyError):
    status, code = 409, "already_loaded"


@dataclass
class Account:
    username: str
    password: str
    role: str
    unit_code: str | None
    display_name: str


@dataclass
class Summary:
    accounts: list[Account] = field(default_factory=list)
    units: int = 0
    # (title code, state) → how many nominations
    nominations: Counter = field(default_factory=Counter)
    denominators: dict[str, dict[int, int]] = field(default_factory=dict)
    # title code → [(day, holders, denominator)] of the town: each paper year's end, then today
    path: dict[str, list[tuple[date, int, int | None]]] = field(default_factory=dict)


def read_data(path: Path = DATA_FILE) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def load(*, password: str | None = None, today: date | None = None, seed: int = 2022,
         scale: float | None = None, say: Callable[[str], None] | None = None) -> Summary:
    """Load the demo into an empty database; raises AlreadyLoaded if any unit exists.

    `password` gives every account the same password; otherwise each gets a random one. `scale`
    multiplies the wards' citizens and the people the demo generates (default: the DEMO_SCALE
    setting, 1.0); `say` is told each step as it ends (the CLI prints it).
    """
    if password is not None and (reasons := accounts.password_reasons(password)):
        raise Invalid("The demo password is not allowed.", reasons)
    if scale is None:
        scale = current_app.config.get("DEMO_SCALE", 1.0)
    try:
        scale = float(scale)
    except (TypeError, ValueError):
        scale = -1.0
    if not (MIN_SCALE <= scale <= MAX_SCALE):
        raise Invalid("The demo scale is out of range.", [{
            "field": "scale", "code": "out_of_range",
            "message": f"scale is a number from {MIN_SCALE} to {MAX_SCALE}"}])
    if db.session.scalar(select(func.count()).select_from(Unit)):
        raise AlreadyLoaded("The database already holds administrative units; the demo data "
                            "is loaded only into an empty database.")
    data = read_data()
    taken = db.session.scalars(
        select(User.username).where(User.username.in_(planned_usernames(data)))).all()
    if taken:
        raise AlreadyLoaded("Some demo usernames are already in use.", {"usernames": sorted(taken)})
    today = today or clock.today()
    rng = random.Random(seed)
    loader = _Loader(data, today, rng, password, scale=scale, say=say)
    return loader.run()


# The password scripts/demo.sh gives every account unless CERTIFY_DEMO_PASSWORD says otherwise.
DEFAULT_PASSWORD = "hoc-tap-suot-doi-2030"


@dataclass
class Listed:
    """One demo account as `flask demo-accounts` lists it: `shared` says whether the account's
    password is still the shared one asked about (never the hash; None when none was asked)."""

    username: str
    role: str
    unit_code: str | None
    shared: bool | None


def demo_accounts(password: str | None) -> list[Listed]:
    """The accounts of either demo scenario that exist, in the order they were created."""
    from . import demo_reform

    data = read_data()
    names = set(planned_usernames(data)) | set(demo_reform.planned_usernames(data))
    users = db.session.scalars(select(User).where(User.username.in_(sorted(names)))
                               .order_by(User.id)).all()
    return [Listed(u.username, u.role, u.unit.code if u.unit else None,
                   accounts.check_password(u, password) if password else None)
            for u in users]


def official_slots(data: dict) -> list[tuple[str, str, str]]:
    """(role, level, unit code) for every reviewer and approver account the demo makes: one at
    every unit of the tier each title names, so the demo works under any tier profile
    (three-tier: ward reviewers, a district reviewer for units, a district approver)."""
    codes = {"province": [data["province"]["code"]], "district": [data["district"]["code"]],
             "commune": [c["code"] for c in data["communes"]]}
    wanted = sorted({(role, level) for wf in workflows().values()
                     for role in ("reviewer", "approver") for level in wf.tier_levels(role)})
    return [(role, level, code) for role, level in wanted for code in codes[level]]


def slug_of(data: dict) -> dict[str, str]:
    """Unit code → the short ASCII name used in usernames."""
    slugs = {data["province"]["code"]: data["province"]["slug"],
             data["district"]["code"]: data["district"]["slug"]}
    slugs.update({c["code"]: c["slug"] for c in data["communes"]})
    return slugs


def planned_usernames(data: dict) -> list[str]:
    slugs = slug_of(data)
    return (["admin-demo"]
            + [f"{ROLE_PREFIX[role]}-{slugs[code]}" for role, _, code in official_slots(data)]
            + [f"ho-{c['slug']}" for c in data["communes"]]
            + [f"dv-{o['slug']}" for o in data["organizations"]])


class _Loader:
    def __init__(self, data: dict, today: date, rng: random.Random, password: str | None,
                 scale: float = 1.0, say: Callable[[str], None] | None = None):
        self.data, self.today, self.rng, self.password = data, today, rng, password
        self.scale, self.say = scale, say
        self.started = time.monotonic()
        self.summary = Summary()
        self.users: dict[tuple[str, int], User] = {}  # (role, unit id) → reviewer/approver
        self.national_ids: set[str] = set()
        self.decisions_made = 0
        # The history's paper years: the three evaluation years whose citizens' decisions were
        # signed before today, the last of them still valid today (1 year from its decision).
        signed = date(today.year, *CITIZEN_DECISION_DAY)
        last = today.year if signed < today else today.year - 1
        self.paper_years = [last - 2, last - 1, last]
        decided = date(today.year, *DECISION_DAY)
        self.decision_date = decided if decided <= today else date(today.year - 1, *DECISION_DAY)
        self.older_decision_date = date(self.decision_date.year - 1, *DECISION_DAY)

    # -- steps ------------------------------------------------------------------------------------

    def run(self) -> Summary:
        self.make_units()
        self.make_denominators()
        self.admin = self.account("admin-demo", "admin", None, "Quản trị (demo)")
        self.make_officials()
        households = self.make_households()
        organizations = self.make_organizations()
        self.make_members(households, organizations)
        for wf in workflows().values():
            if wf.spec.subject == "person":
                subjects = [(p, h) for h, members in households for p in members]
                self.nominate(wf, subjects, CITIZEN_PLANS)
            else:
                self.nominate(wf, organizations, ORGANIZATION_PLANS)
        self.step("accounts and the named dossiers")
        self.make_history(organizations)
        return self.summary

    def step(self, what: str) -> None:
        if self.say is not None:
            self.say(f"{time.monotonic() - self.started:6.1f} s (CPU {time.process_time():5.1f} s)"
                     f"  {what}")

    def make_units(self) -> None:
        d = self.data
        self.province = units.create(code=d["province"]["code"], name=d["province"]["name"],
                                     level="province")
        self.district = units.create(code=d["district"]["code"], name=d["district"]["name"],
                                     level="district", parent_code=self.province.code)
        self.communes = [units.create(code=c["code"], name=c["name"], level="commune",
                                      parent_code=self.district.code) for c in d["communes"]]
        codes = slug_of(d)
        self.slugs = {u.id: codes[u.code] for u in [self.province, self.district, *self.communes]}
        self.summary.units = 2 + len(self.communes)

    def make_denominators(self) -> None:
        d = self.data
        growth, base = d["growth_per_year"], d["reference_year"]
        citizen_titles = [c for c, wf in workflows().items() if wf.spec.subject == "person"]
        unit_titles = [c for c, wf in workflows().items() if wf.spec.subject == "organization"]
        for year in range(min(self.paper_years[0], self.today.year - 1), self.today.year + 2):
            for unit, c in zip(self.communes, d["communes"]):
                value = round(c["citizens"] * (1 + growth) ** (year - base) * self.scale)
                units.set_denominators(unit, year, {t: value for t in citizen_titles})
                for t in citizen_titles:
                    self.summary.denominators.setdefault(t, {})
                    self.summary.denominators[t][year] = \
                        self.summary.denominators[t].get(year, 0) + value
            value = d["district"]["agencies_and_units"]
            units.set_denominators(self.district, year, {t: value for t in unit_titles})
            for t in unit_titles:
                self.summary.denominators.setdefault(t, {})[year] = value

    def make_officials(self) -> None:
        by_code = {u.code: u for u in [self.province, self.district, *self.communes]}
        for role, _level, code in official_slots(self.data):
            unit = by_code[code]
            name = {"reviewer": "Cán bộ thẩm định", "approver": "Lãnh đạo phê duyệt"}[role]
            self.users[(role, unit.id)] = self.account(
                f"{ROLE_PREFIX[role]}-{self.slugs[unit.id]}", role, unit.code,
                f"{name} — {unit.name}")

    def make_households(self) -> list[tuple[User, list]]:
        names = self.data["names"]
        result = []
        for i, unit in enumerate(self.communes):
            family = names["family"][i % len(names["family"])]
            head = f"{family} {self.rng.choice(names['male'])}"
            spouse = f"{self.rng.choice(names['family'])} {self.rng.choice(names['female'])}"
            household = self.account(f"ho-{self.slugs[unit.id]}", "household", unit.code,
                                     f"Hộ ông {head}")
            born = self.rng.randint(1968, 1985)
            members = [
                {"full_name": head, "gender": "male", "birth_year": born,
                 "target_group": self.rng.choice(["worker", "staff_business"]),
                 "occupation": self.rng.choice(["Công nhân xi măng", "Giáo viên", "Kinh doanh"])},
                {"full_name": spouse, "gender": "female",
                 "birth_year": born + self.rng.randint(0, 4),
                 "target_group": "commune_resident", "occupation": "Nội trợ"},
                {"full_name": f"{family} {self.rng.choice(names['female'])}", "gender": "female",
                 "birth_year": born + self.rng.randint(22, 27), "target_group": "learner",
                 "occupation": "Sinh viên"},
                {"full_name": f"{family} {self.rng.choice(names['male'])}", "gender": "male",
                 "birth_year": born + self.rng.randint(24, 30), "target_group": "worker",
                 "occupation": "Công nhân"},
            ]
            persons = [people.add_person(household, {**m, "ethnicity": names["ethnicity"],
                                                     "national_id": self.national_id(m)})
                       for m in members]
            result.append((household, persons))
        return result

    def make_organizations(self) -> list[tuple]:
        result = []
        for o in self.data["organizations"]:
            # Its own level when the data names one (the THPT school is provincial), else its
            # unit's (organizations.level; routes its dossier under vn-2025).
            org = people.create_organization(name=o["name"], unit_code=self.district.code,
                                             members_count=o["members"], level=o.get("level"))
            user = self.account(f"dv-{o['slug']}", "organization", self.district.code, o["name"],
                                organization_id=org.id)
            result.append((org, user))
        return result

    def make_members(self, households, organizations) -> None:
        """Household members who work or study at the organizations (staff, learners), entered by
        each organization's own account: every organization gets some."""
        if not organizations:
            return
        since = date(self.today.year - 3, 9, 1)
        joining = [(person, role) for _household, persons in households
                   for person, role in ((persons[0], "staff"), (persons[2], "learner"),
                                        (persons[3], "staff"))]
        for k, (person, role) in enumerate(joining):
            org, user = organizations[k % len(organizations)]
            members.add(user, org.id, {"national_id": person.national_id,
                                       "full_name": person.full_name, "role": role,
                                       "from": since})

    # -- nominations ------------------------------------------------------------------------------

    def nominate(self, wf, subjects, plans) -> None:
        """Drive one nomination per subject to its planned end, cycling through `plans`."""
        by_decision: dict[tuple[date, int], list] = {}
        to_revoke = []
        for i, (subject, applicant) in enumerate(subjects):
            plan = plans[i % len(plans)]
            # The latest year that can be filed today (a unit's year must have ended).
            latest = max(deadlines.fileable_years(wf.code, self.today))
            year = {"approved_decision": self.decision_date.year - 1,
                    "revoked": self.decision_date.year - 1,
                    "expired": self.older_decision_date.year - 1}.get(plan, latest)
            rules = wf.rules_for_year(year)
            if rules.computed_criteria and plan not in TARGETS_UNCHECKED:
                # TT 24's computed share needs members holding "Công dân học tập" on 31/12 of the
                # year, which the demo does not record: its verified and decided unit dossiers
                # are of TT 22/2020's last year, 2023, with their points and grades.
                year = wf.rules_for_year(year).in_force_from.year - 1
                rules = wf.rules_for_year(year)
            quality = self.rng.choice([0.8, 0.9, 1.0]) if not rules.grades \
                else (0.9, 0.75, 0.6)[i % 3]
            scores = self.scores(rules, quality)
            partial = dict(list(scores.items())[: len(scores) // 2])
            n = nominations.create(applicant, title=wf.code, subject_id=subject.id, year=year,
                                   self_assessment=partial if plan == "draft" else scores)
            if plan != "draft":
                self.attach_documents(applicant, n, rules)
            reviewer = self.official(wf, "reviewer", n)
            approver = self.official(wf, "approver", n)
            if reviewer is None or approver is None:
                # Routed by its level to a tier below its unit (vn-2025 in a town whose district
                # still stands: a district-level school goes to a commune that does not contain
                # it): no account could act on it, so it stays a draft.
                continue
            step = meaning.procedure(wf.spec)  # the file's event for each step, by meaning
            submitted = [(step["submit"], applicant, {})]
            verified = submitted + [(step["score"], reviewer, {"assessment": scores})]
            steps = {
                "draft": [],
                "submitted": submitted,
                "returned": submitted + [
                    (step["send_back"], reviewer, {"comment": "Đề nghị bổ sung minh chứng cho "
                                                              "các chỉ số 1.2 và 1.3."})],
                "withdrawn": submitted + [(step["withdraw"], applicant, {})],
                "verified": verified,
                "rejected": submitted + [
                    (step["refuse"], reviewer, {"comment": "Minh chứng không đủ để xác nhận "
                                                           "các chỉ số đã tự đánh giá."})],
                "approved_event": verified + [
                    (step["grant"], approver, {"decision": self.one_item_decision(approver)})],
            }.get(plan, verified)
            for event, actor, payload in steps:
                n = nominations.fire(actor, n.id, event, version=n.version, **payload)
            if plan in ("approved_decision", "revoked", "expired"):
                day = self.older_decision_date if plan == "expired" else self.decision_date
                self.submitted_in_january(n, day.year)
                by_decision.setdefault((day, approver.id), []).append(n.id)
            if plan == "revoked":
                to_revoke.append(n.id)
        for number, ((day, approver_id), ids) in enumerate(sorted(by_decision.items()), start=1):
            approver = db.session.get(User, approver_id)
            nominations.issue_decision(approver, number=self.next_number(day.year), date_=day,
                                       signer=self.rng.choice(SIGNERS),
                                       signer_position="tm_chu_tich",
                                       place=approver.unit.name, nomination_ids=ids)
        for nid in to_revoke:
            n = db.session.get(Nomination, nid)
            approver = self.official(wf, "approver", n)
            nominations.fire(approver, nid, meaning.procedure(wf.spec)["end"], version=n.version,
                             comment="Thu hồi do phát hiện kê khai không trung thực.")
        for state, count in Counter(
                db.session.scalars(select(Nomination.state)
                                   .where(Nomination.title_code == wf.code))).items():
            self.summary.nominations[(wf.code, state)] += count

    # -- history ----------------------------------------------------------------------------------

    def make_history(self, organizations) -> None:
        """Three years of history through the imports and the open year through the workflow
        (see the module's text); the wards' holders today land in `history.holders_today`."""
        h = self.data["history"]
        citizen = next((wf for wf in workflows().values() if wf.spec.subject == "person"), None)
        unit_title = next((wf for wf in workflows().values()
                           if wf.spec.subject == "organization"), None)
        if citizen is not None:
            registered = self.import_persons(h)
            holders = self.import_citizen_recognitions(citizen, registered, h)
            self.open_year(citizen, organizations, registered, holders, h)
        if unit_title is not None and organizations:
            self.import_unit_recognitions(unit_title, organizations, h)
        self.summary.nominations.clear()
        for wf in workflows().values():
            for state, count in Counter(db.session.scalars(
                    select(Nomination.state).where(Nomination.title_code == wf.code))).items():
                self.summary.nominations[(wf.code, state)] += count
            days = [date(y, 12, 31) for y in self.paper_years if date(y, 12, 31) < self.today]
            for day in days + [self.today]:
                figure = progress_service.progress(self.district, wf, day).figure
                self.summary.path.setdefault(wf.code, []).append(
                    (day, figure.holders, figure.denominator))

    def citizens(self, unit: Unit, year: int) -> int:
        """The ward's citizens in `year` as the demo enters them (its denominator)."""
        c = next(c for c in self.data["communes"] if c["code"] == unit.code)
        d = self.data
        return round(c["citizens"] * (1 + d["growth_per_year"]) ** (year - d["reference_year"])
                     * self.scale)

    def import_persons(self, h: dict) -> dict[int, list[tuple[str, str]]]:
        """The wards' households (of four) through the `persons` import, `registered` of each
        ward's citizens; ward id → [(số định danh, target group)] in the order generated."""
        names = self.data["names"]
        header = ["household", "address", "unit_code", "full_name", "national_id", "birth_year",
                  "gender", "target_group", "ethnicity", "occupation"]
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        registered: dict[int, list[tuple[str, str]]] = {}
        rng = self.rng
        for unit in self.communes:
            wanted = math.ceil(self.citizens(unit, self.today.year) * h["registered"])
            made: list[tuple[str, str]] = []
            house = 0
            while len(made) < wanted:
                house += 1
                family = rng.choice(names["family"])
                head = f"{family} {rng.choice(names['male'])}"
                born = rng.randint(1958, 1992)
                child_gender = rng.choice(["male", "female"])
                child_name = rng.choice(names["male" if child_gender == "male" else "female"])
                young = born + rng.randint(20, 30)
                household = [
                    (head, "male", born, rng.choice(["worker", "staff_business"]),
                     rng.choice(["Công nhân xi măng", "Giáo viên", "Kinh doanh", "Cán bộ"])),
                    (f"{rng.choice(names['family'])} {rng.choice(names['female'])}", "female",
                     born + rng.randint(0, 4), "commune_resident",
                     rng.choice(["Nội trợ", "Buôn bán", "Nông nghiệp"])),
                    (f"{family} {child_name}", child_gender, young,
                     "learner" if young >= self.today.year - 24 else "worker",
                     "Sinh viên" if young >= self.today.year - 24 else "Công nhân"),
                    (f"{family} {rng.choice(names['female'])}", "female",
                     min(born + rng.randint(22, 34), self.today.year - 15),
                     rng.choice(["learner", "worker", "commune_resident"]), ""),
                ]
                address = f"Số {house}, tổ dân phố {house % 15 + 1}, {unit.name}"
                for full_name, gender, birth_year, group, occupation in household:
                    if len(made) == wanted:
                        break
                    nid = self.national_id({"birth_year": birth_year, "gender": gender})
                    writer.writerow([f"Hộ ông {head}", address, unit.code, full_name, nid,
                                     birth_year, gender, group, self.data["names"]["ethnicity"],
                                     occupation])
                    made.append((nid, group))
            registered[unit.id] = made
        report = imports.apply("persons", out.getvalue().encode("utf-8"), self.admin)
        self.step(f"{report.created.get('persons', 0)} persons in "
                  f"{report.created.get('households', 0)} households (import “persons”)")
        return registered

    def import_citizen_recognitions(self, wf, registered, h) -> dict[int, list[str]]:
        """Each paper year's recognitions through the `recognitions` import, one decision per ward
        and year signed on CITIZEN_DECISION_DAY; ward id → the last paper year's holders."""
        already = progress_service.holders([u.id for u in self.communes], wf.code, self.today)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["national_id", "title", "year", "decision_number", "decision_date",
                         "signer"])
        last: dict[int, list[str]] = {}
        low, high = h["holders_today"]
        for k, unit in enumerate(self.communes):
            share = self.rng.uniform(low, high)
            final = max(0, round(share * self.citizens(unit, self.today.year)) - already[unit.id])
            ids = [nid for nid, _group in registered[unit.id]]
            self.rng.shuffle(ids)
            for year, fraction in zip(self.paper_years, h["path"]):
                day = date(year, *CITIZEN_DECISION_DAY)
                number = f"{150 + k}/{year}/QĐ-UBND"
                signer = SIGNERS[(k + year) % len(SIGNERS)]
                chosen = ids[:min(len(ids), round(final * fraction))]
                for nid in chosen:
                    writer.writerow([nid, wf.code, year, number, day.isoformat(), signer])
                last[unit.id] = chosen
        report = imports.apply("recognitions", out.getvalue().encode("utf-8"), self.admin)
        self.step(f"{report.created.get('recognitions', 0)} paper recognitions of {wf.code}, "
                  f"{', '.join(map(str, self.paper_years))} (import “recognitions”)")
        return last

    def open_year(self, wf, organizations, registered, holders, h) -> None:
        """The open year's dossiers, filed by the organizations for their members (entered
        through the `members` import), submitted and reviewed through the workflow; some are
        recognised today in one decision per approver."""
        if not organizations:
            return
        year = max(deadlines.fileable_years(wf.code, self.today))
        per_ward = max(4, round(h["open_year_dossiers"] * self.scale))
        states = list(h["open_year_states"].items())
        subjects: list[tuple[str, str]] = []
        for unit in self.communes:
            if year in self.paper_years:  # recognised for it already: the others file
                taken = set(holders[unit.id])
                pool = [(nid, g) for nid, g in registered[unit.id] if nid not in taken]
            else:  # last year's holders file again
                group = dict(registered[unit.id])
                pool = [(nid, group[nid]) for nid in holders[unit.id]]
            subjects += [(nid, group, j) for j, (nid, group) in enumerate(pool[:per_ward])]
        since = date(self.today.year - 2, 9, 1)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["organization", "national_id", "role", "from"])
        filer: dict[str, tuple] = {}
        order: dict[str, int] = {}
        for i, (nid, group, j) in enumerate(subjects):
            org, user = organizations[i % len(organizations)]
            writer.writerow([org.id, nid, "learner" if group == "learner" else "staff",
                             since.isoformat()])
            filer[nid], order[nid] = (org, user), j
        imports.apply("members", out.getvalue().encode("utf-8"), self.admin)
        ids = {}
        numbers = list(filer)
        for start in range(0, len(numbers), 2000):
            ids.update(db.session.execute(select(Person.national_id, Person.id).where(
                Person.national_id.in_(numbers[start:start + 2000]))).all())
        step = meaning.procedure(wf.spec)
        rules = wf.rules_for_year(year)
        # Reviewers verify and return their ward's dossiers all at once (the queue's bulk
        # actions); the approver then decides the approved ones in one decision.
        to_verify: dict[int, list[int]] = {}
        to_return: dict[int, list[int]] = {}
        approved: list[Nomination] = []
        filed: list[int] = []
        for nid in numbers:
            _org, user = filer[nid]
            # The ward's j-th dossier at the golden ratio's multiples: however few a ward has,
            # its first ones spread over the states in their shares.
            position, plan = (order[nid] * 0.6180339887) % 1, states[-1][0]
            for name, fraction in states:
                if position < fraction:
                    plan = name
                    break
                position -= fraction
            scores = self.scores(rules, self.rng.choice([0.8, 0.9, 1.0]))
            n = nominations.create(user, title=wf.code, subject_id=ids[nid], year=year,
                                   self_assessment=scores)
            n = nominations.fire(user, n.id, step["submit"], version=n.version)
            filed.append(n.id)
            reviewer = self.official(wf, "reviewer", n)
            if plan == "returned":
                to_return.setdefault(reviewer.id, []).append(n.id)
            elif plan in ("verified", "approved"):
                to_verify.setdefault(reviewer.id, []).append(n.id)
                if plan == "approved":
                    approved.append(n)
        for reviewer_id, nomination_ids in sorted(to_verify.items()):
            nominations.bulk_verify(db.session.get(User, reviewer_id), nomination_ids)
        for reviewer_id, nomination_ids in sorted(to_return.items()):
            nominations.bulk_return(db.session.get(User, reviewer_id), nomination_ids,
                                    "Đề nghị bổ sung minh chứng tham gia sinh hoạt tại trung tâm "
                                    "học tập cộng đồng (chỉ số 1.3).")
        self.submitted_over_the_year(wf, year, filed)
        to_decide: dict[int, list[int]] = {}
        for n in approved:
            to_decide.setdefault(self.official(wf, "approver", n).id, []).append(n.id)
        for approver_id, nomination_ids in sorted(to_decide.items()):
            approver = db.session.get(User, approver_id)
            nominations.issue_decision(approver, number=self.next_number(self.today.year),
                                       date_=self.today, signer=self.rng.choice(SIGNERS),
                                       signer_position="tm_chu_tich", place=approver.unit.name,
                                       nomination_ids=nomination_ids)
        self.step(f"{len(numbers)} dossiers of {wf.code} {year} through the workflow, filed by "
                  "the organizations for their members")

    def submitted_over_the_year(self, wf, year: int, ids: list[int]) -> None:
        """The open year's dossiers were filed over the weeks before its deadline, not all today
        (the demo makes them today): each submission moves to a day of those weeks, on time,
        never after today; the reviews and the decision stay today, after them."""
        last = min(deadlines.for_year(wf.code, year).get("submit_by", self.today), self.today)
        first = max(date(year, 1, 1), date.fromordinal(last.toordinal() - 90))
        zone = clock.zone()
        for nid in ids:
            n = db.session.get(Nomination, nid)
            day = date.fromordinal(self.rng.randint(first.toordinal(), last.toordinal()))
            when = datetime(day.year, day.month, day.day, self.rng.randint(7, 16),
                            self.rng.randint(0, 59), tzinfo=zone).astimezone(timezone.utc)
            n.submitted_at = when
            n.created_at = min(n.created_at, when)
            for entry in n.history:  # the submission's entry (the one out of the draft)
                if entry.from_state == wf.spec.initial_state:
                    entry.at = when
        db.session.commit()

    def import_unit_recognitions(self, wf, organizations, h) -> None:
        """Organizations recognised on paper for the years before the open one (those with no
        dossier of that year), decided by the town on UNIT_DECISION_DAY of the next year."""
        open_year = max(deadlines.fileable_years(wf.code, self.today), default=self.today.year)
        years = list(range(open_year - len(h["units_recognised"]), open_year))
        filed = set(db.session.execute(select(Nomination.organization_id, Nomination.year).where(
            Nomination.title_code == wf.code)).all())
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["organization", "title", "year", "decision_number", "decision_date",
                         "signer", "level", "grade"])
        rows = 0
        for j, (year, count) in enumerate(zip(years, h["units_recognised"])):
            day = date(year + 1, *UNIT_DECISION_DAY)
            rules = wf.rules_for_year(year)
            if day > self.today or rules is None:
                continue
            free = [org for org, _user in organizations if (org.id, year) not in filed]
            for k, org in enumerate(self.rng.sample(free, min(count, len(free)))):
                level = rules.levels[0].code if rules.levels else ""
                grade = rules.grades[k % len(rules.grades)].code if rules.grades else ""
                writer.writerow([org.id, wf.code, year, f"{300 + j}/{year + 1}/QĐ-UBND",
                                 day.isoformat(), SIGNERS[j % len(SIGNERS)], level, grade])
                rows += 1
        if rows:
            imports.apply("recognitions", out.getvalue().encode("utf-8"), self.admin)
        self.step(f"{rows} paper recognitions of {wf.code} (import “recognitions”)")

    def next_number(self, year: int) -> str:
        """The next decision number in the NĐ 30/2020 form, unique across the demo's approvers."""
        self.decisions_made += 1
        return f"{self.decisions_made:02d}/{year}/QĐ-UBND"

    def one_item_decision(self, approver: User) -> dict:
        """The one-item decision of a single approval, signed today by a vice-chairman."""
        return {"number": self.next_number(self.today.year), "date": self.today.isoformat(),
                "signer": self.rng.choice(SIGNERS), "signer_position": "kt_pho_chu_tich",
                "place": approver.unit.name}

    def submitted_in_january(self, n: Nomination, year: int) -> None:
        """Dossiers decided in an earlier year were filed in that January (the demo makes them all
        today): their submission moves there, so that the decision follows it as it must."""
        when = datetime(year, 1, 8, 2, 0, tzinfo=timezone.utc)
        n.submitted_at = when
        for entry in n.history:
            entry.at = when
        db.session.commit()

    def scores(self, rules, quality: float) -> dict[str, int | bool]:
        """A complete assessment: at `quality` of each maximum, meeting the pass rule (points);
        every target met (TT 24/2023; computed targets come from the records)."""
        if rules.by_levels:
            return {c.code: True for c in rules.assessed_criteria}
        scores = {c.code: min(c.max_points, math.ceil(c.max_points * quality))
                  for c in rules.criteria}
        if not rubric.passes(rules, scores):
            scores = {c.code: c.max_points for c in rules.criteria}
        return scores

    def attach_documents(self, applicant: User, n: Nomination, rules) -> None:
        """The documents the version asks for (TT 24/2023: Tờ trình …), as one-page samples."""
        import io

        from reportlab.pdfgen.canvas import Canvas

        from . import evidence

        for d in rules.documents:
            buffer = io.BytesIO()
            page = Canvas(buffer)
            page.drawString(72, 760, f"{d.name.en} (demo)")
            page.save()
            buffer.seek(0)
            evidence.add(applicant, n.id, criterion=d.code, filename=f"{d.code}.pdf",
                         stream=buffer)

    def official(self, wf, role: str, n: Nomination) -> User | None:
        """The account of `role` at the tier acting on the dossier today, at or above its unit
        (None: no unit of that tier contains it)."""
        level = wf.tier(role, subject=n.organization)
        here = n.unit
        while here is not None and here.level != level:
            here = here.parent
        return self.users.get((role, here.id)) if here is not None else None

    # -- helpers ----------------------------------------------------------------------------------

    def account(self, username, role, unit_code, display_name, **kw) -> User:
        password = self.password or secrets.token_urlsafe(12)  # 16 characters
        user = accounts.create_user(username=username, password=password, role=role,
                                    unit_code=unit_code, display_name=display_name, **kw)
        self.summary.accounts.append(Account(username, password, role, unit_code, display_name))
        return user

    def national_id(self, member: dict) -> str:
        """A CCCD-shaped number: province of birth (038, Thanh Hóa), century-and-gender digit,
        two digits of the birth year, six random digits."""
        century = 0 if member["birth_year"] < 2000 else 2
        digit = century + (1 if member["gender"] == "female" else 0)
        while True:
            number = f"038{digit}{member['birth_year'] % 100:02d}{self.rng.randrange(10**6):06d}"
            if number not in self.national_ids:
                self.national_ids.add(number)
                return number
