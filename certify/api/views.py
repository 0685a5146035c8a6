"""The /api/v1 operations. Each parses, authorises by role, calls one service, serialises."""

from __future__ import annotations

import io

from flask import current_app, g, jsonify, request
from pydantic import RootModel
from sqlalchemy import select

from ..errors import BadRequest, Invalid, NotFound, TooLarge, Unauthorized
from ..extensions import limiter
from ..models import User
from ..models.evidence import MEDIA_TYPES
from ..routing import body_limit
from ..services import (accounts, evidence, imports, members, nominations, people, progress,
                        public, reorganization_files, reorganizations, report, signin_guard,
                        units)
from ..services.validate import Longest
from ..web.helpers import attachment
from ..workflow import workflows
from . import schemas as s
from . import serialize
from .core import (PAGE_QUERY, actor, body, operation, page_args, page_json, parse, query_date,
                   query_int)


def _json(data, status: int = 200):
    response = jsonify(data)
    response.status_code = status
    return response


def _public_limit() -> str:
    return current_app.config["PUBLIC_RATE_LIMIT"]


# -- authentication -------------------------------------------------------------------------------

@operation("/auth/token", "POST", summary="Sign in: exchange a username and password for a token",
           tag="auth", body=s.TokenRequest, response=s.TokenOut, errors=(400, 401, 422, 429),
           public=True)
def token():
    data = parse(s.TokenRequest)
    # Throttled like the sign-in page, on the same counters (services/signin_guard.py).
    user = signin_guard.authenticate(data.username.strip(), data.password, request.remote_addr)
    if user is None:
        raise Unauthorized("Wrong username or password.")
    token, row = accounts.issue_token(user)
    return _json({"token": token, "expires_at": row.expires_at.isoformat(),
                  "user": serialize.user(user)})


@operation("/auth/token", "DELETE", summary="Sign out: revoke the token this request carries",
           tag="auth", status=204, errors=(401,))
def revoke():
    accounts.revoke_token(g.token)
    return "", 204


@operation("/auth/password", "POST", summary="Change the caller's own password",
           tag="auth", body=s.PasswordChange, response=s.PasswordChanged,
           errors=(400, 401, 403, 422, 429),
           description="Needs the current password (403 forbidden when it is wrong, nothing "
                       "changed) and a new one that meets the policy (422 invalid, each reason "
                       "in details). Wrong current passwords count as failed sign-ins: past the "
                       "sign-in limit the answer is 429 with Retry-After. On success every token of the account is revoked, the one "
                       "this request carried included, and every browser session ends: sign in "
                       "again with the new password.")
def change_password():
    data = parse(s.PasswordChange)
    signin_guard.change_password(actor(), data.current_password, data.new_password,
                                 request.remote_addr)
    return _json({"user": serialize.user(actor()), "tokens_revoked": True})


# -- units ----------------------------------------------------------------------------------------

@operation("/units", "POST", summary="Create an administrative unit", tag="units", status=201,
           body=s.UnitCreate, response=s.UnitOut, errors=(400, 401, 403, 422), roles=("admin",))
def create_unit():
    data = parse(s.UnitCreate)
    unit = units.create(**data.model_dump())
    return _json(serialize.unit(unit), 201)


CSV_REORGANIZATION = {"schema": {"type": "string", "description": (
    "The same file as CSV (UTF-8, with or without a BOM; commas or semicolons): a header "
    "`effective,source,code,name,level,parent_code,from` and optional `households,organizations,"
    "persons,accounts`, then one row per new unit; `from` lists the replaced codes separated by "
    "\";\" or spaces; the optional columns list, \";\"-separated, what of a split unit goes to the "
    "row's unit. `effective` and `source` are the same on every row. A bad cell is 422 naming it "
    "as `row N, column` (the header is row 1). `dry_run` is then the query parameter.")}}


@operation("/reorganizations", "POST", summary="Reorganise units: merge, split, rename on a day",
           tag="units", status=201, body=s.ReorganizationIn, response=s.ReorganizationOut,
           also=(200,), errors=(400, 401, 403, 422), roles=("admin",),
           other_bodies={"text/csv": CSV_REORGANIZATION},
           query={"dry_run": {"type": "boolean", "description": (
               "With a text/csv body only: true → only say what would move (200).")}},
           description="One transaction: the old units end the day before `effective`, the new "
                       "ones start on it; households, organizations, persons, accounts and open "
                       "dossiers move to them (each dossier keeps its state and queue place and "
                       "gets a new version); decided dossiers and recognitions stay. `dry_run`: "
                       "200 with what would move, nothing changed. Applied: 201; applied before: "
                       "200 with `already_applied`, nothing changed. A split with anything "
                       "unassigned, or anything that cannot apply: 422, nothing changed.")
def reorganize():
    if request.mimetype == "text/csv":
        dry_run = request.args.get("dry_run", "false").lower()
        if dry_run not in ("true", "false", "1", "0"):
            raise BadRequest("Query parameter dry_run must be true or false.",
                             [{"field": "dry_run", "code": "not_allowed",
                               "message": "true or false"}])
        content = body()
        if dry_run in ("true", "1"):
            return _json(reorganization_files.plan(content, "body.csv").as_dict())
        result = reorganization_files.apply(content, "body.csv", actor())
        return _json(result.as_dict(), 201 if result.applied else 200)
    data = parse(s.ReorganizationIn)
    change = data.model_dump(by_alias=True, exclude={"dry_run"}, exclude_none=True)
    if data.dry_run:
        return _json(reorganizations.plan(change).as_dict())
    result = reorganizations.apply(change, actor())
    return _json(result.as_dict(), 201 if result.applied else 200)


IMPORT_QUERY = {"dry_run": {"type": "boolean", "description": "true: check every row and say "
                                                               "what would be created (200); "
                                                               "nothing changed"}}


def _import_limit() -> int:
    return int(current_app.config["IMPORT_MAX_BYTES"])


@body_limit(_import_limit)  # above: the role check wraps the view, the limit is the wrapper's
@operation("/imports/<kind>", "POST",
           summary="Import a list: persons (households), members of organizations, or "
                   "recognitions granted on paper (CSV or XLSX)",
           tag="imports", status=201, body=s.ImportUpload, body_media="multipart/form-data",
           response=s.ImportReport, also=(200,), errors=(400, 401, 403, 404, 413, 422),
           roles=("admin",), query=IMPORT_QUERY,
           description="`kind`: persons, members or recognitions (another: 404). `dry_run=true`: "
                       "200 with every bad row (line, column, reason) and what would be "
                       "created, nothing changed. Otherwise all rows or none: 201 with the "
                       "counts, or 422 whose `details` are the same problems (a file that is not "
                       "CSV/XLSX, has missing or unknown columns or no rows: 422 also on a dry "
                       "run). Duplicates are matched by số định danh. Body limit: "
                       "CERTIFY_IMPORT_MAX_BYTES (413 too_large).")
def import_list(kind: str):
    if kind not in imports.KINDS:
        raise NotFound(f"No import of kind {kind!r}: persons, members or recognitions.")
    flag = request.args.get("dry_run", "false").lower()
    if flag not in ("true", "false", "1", "0"):
        raise BadRequest("dry_run is true or false.")
    upload = request.files.get("file")
    data = upload.read() if upload is not None else (
        b"" if request.mimetype.startswith("multipart/") else request.get_data())
    if flag in ("true", "1"):
        return _json(imports.check(kind, data).as_dict())
    return _json(imports.apply(kind, data, actor()).as_dict(), 201)


UNIT_ON_QUERY = {"on": {"type": "string", "format": "date",
                        "description": "YYYY-MM-DD: the unit bearing the code on that day "
                                       "(codes are reused after a reorganisation); default today"}}


@operation("/units/<code>", "GET", summary="A unit as it was on a day: validity, lineage, children",
           tag="units", response=s.UnitOut, errors=(400, 401, 404), query=UNIT_ON_QUERY,
           description="`on` not a date: 400. No unit bears the code on that day (or it lies "
                       "outside the caller's units): 404.")
def get_unit(code: str):
    on = query_date("on")
    return _json(serialize.unit(units.get_visible(actor(), code, on), on))


@operation("/units/<code>/denominators/<int:year>", "PUT",
           summary="Set a unit's denominators for a year, per title code", tag="units",
           body=None, response=s.DenominatorsOut, errors=(400, 401, 403, 404, 422),
           roles=("admin",), query=UNIT_ON_QUERY)
def put_denominators(code: str, year: int):
    unit = units.get_visible(actor(), code, query_date("on"))
    figures = parse_figures()
    units.set_denominators(unit, year, figures)
    return _json({"unit_code": unit.code, "year": year,
                  "denominators": units.denominators_of(unit, year),
                  "carried": units.carried_denominators(unit, year)})


class Figures(RootModel[dict[s.Code, int]]):
    model_config = {"strict": True}


def parse_figures() -> dict:
    return parse(Figures).root


# -- accounts and organizations -------------------------------------------------------------------

@operation("/users", "POST", summary="Create an account", tag="users", status=201,
           body=s.UserCreate, response=s.UserOut, errors=(400, 401, 403, 422), roles=("admin",))
def create_user():
    data = parse(s.UserCreate)
    user = accounts.create_user(**data.model_dump())
    return _json(serialize.user(user), 201)


@operation("/users", "GET", summary="List accounts", tag="users", response=s.page_of(s.UserOut),
           errors=(400, 401, 403, 422), roles=("admin",), query=PAGE_QUERY)
def list_users():
    page, per_page = page_args()
    result = nominations.paginate(select(User).order_by(User.id), page, per_page)
    return _json(page_json(result, serialize.user))


@operation("/users/<id:user_id>", "GET", summary="An account", tag="users", response=s.UserOut,
           errors=(401, 403, 404), roles=("admin",))
def get_user(user_id: int):
    return _json(serialize.user(accounts.get_user(user_id)))


@operation("/organizations", "POST", summary="Register an organization (agency, unit, school)",
           tag="organizations", status=201, body=s.OrganizationCreate, response=s.OrganizationOut,
           errors=(400, 401, 403, 422), roles=("admin",))
def create_organization():
    data = parse(s.OrganizationCreate)
    org = people.create_organization(**data.model_dump())
    return _json(serialize.organization(org), 201)


@operation("/organizations/<id:org_id>", "GET", summary="An organization", tag="organizations",
           response=s.OrganizationOut, errors=(401, 404))
def get_organization(org_id: int):
    return _json(serialize.organization(people.get_organization(actor(), org_id)))


@operation("/organizations/<id:org_id>", "PATCH", summary="Set an organization's level",
           tag="organizations", body=s.OrganizationPatch, response=s.OrganizationOut,
           errors=(400, 401, 403, 404, 422), roles=("admin",),
           description=("The level (province, district, commune) picks which tier reviews and "
                        "approves its \"Đơn vị học tập\" dossier where the tier profile routes "
                        "by it (vn-2025 from 1/7/2025). Admins only."))
def set_organization_level(org_id: int):
    data = parse(s.OrganizationPatch)
    return _json(serialize.organization(people.set_organization_level(actor(), org_id,
                                                                      data.level)))


# -- members of organizations --------------------------------------------------------------------

MEMBERS_DOC = ("Written by the organization's own account and admins (reviewers and approvers who "
               "read it: 403); read by reviewers and approvers whose unit contains the "
               "organization's; anyone else: 404. National ids are masked (last 4 digits) except "
               "for admins and the person's household.")


@operation("/organizations/<id:org_id>/members", "POST",
           summary="Add a member (staff or learner) to an organization", tag="organizations",
           status=201, body=s.MemberCreate, response=s.MemberOut,
           errors=(400, 401, 403, 404, 422), description=MEMBERS_DOC)
def add_member(org_id: int):
    data = parse(s.MemberCreate).model_dump(by_alias=True)
    return _json(serialize.member(members.add(actor(), org_id, data), actor()), 201)


@operation("/organizations/<id:org_id>/members", "GET", summary="An organization's members",
           tag="organizations", response=s.page_of(s.MemberOut), errors=(400, 401, 404, 422),
           description=MEMBERS_DOC,
           query={"q": {"type": "string", "maxLength": Longest.QUERY,
                        "description": "name, diacritics optional"},
                  "on": {"type": "string", "format": "date",
                         "description": "only members on that day"}, **PAGE_QUERY})
def list_members(org_id: int):
    page, per_page = page_args()
    result = members.search(actor(), org_id, q=request.args.get("q") or None,
                            on=query_date("on"), page=page, per_page=per_page)
    return _json(page_json(result, lambda m: serialize.member(m, actor())))


@operation("/organizations/<id:org_id>/members/<id:member_id>", "PATCH",
           summary="End a membership: set its last day", tag="organizations",
           body=s.MemberPatch, response=s.MemberOut, errors=(400, 401, 403, 404, 422),
           description=MEMBERS_DOC)
def end_member(org_id: int, member_id: int):
    data = parse(s.MemberPatch)
    return _json(serialize.member(members.end(actor(), org_id, member_id, data.until), actor()))


# -- persons --------------------------------------------------------------------------------------

@operation("/persons", "POST", summary="Register a member of the caller's household", tag="persons",
           status=201, body=s.PersonCreate, response=s.PersonOut, errors=(400, 401, 403, 422),
           roles=("household",))
def create_person():
    data = parse(s.PersonCreate)
    person = people.add_person(actor(), data.model_dump())
    return _json(serialize.person(person, actor()), 201)


@operation("/persons/<id:person_id>", "GET", summary="A person", tag="persons",
           response=s.PersonOut, errors=(401, 404))
def get_person(person_id: int):
    return _json(serialize.person(people.get_person(actor(), person_id), actor()))


@operation("/persons", "GET", summary="Persons the caller may see", tag="persons",
           response=s.page_of(s.PersonOut), errors=(400, 401, 422), query=PAGE_QUERY)
def list_persons():
    page, per_page = page_args()
    result = people.search_persons(actor(), page=page, per_page=per_page)
    return _json(page_json(result, lambda p: serialize.person(p, actor())))


# -- titles ---------------------------------------------------------------------------------------

@operation("/titles", "GET", summary="The titles, their criteria, rules and workflow",
           tag="titles", response=list[s.TitleOut], errors=(401,))
def list_titles():
    return _json([serialize.title(wf) for wf in workflows().values()])


# -- nominations ----------------------------------------------------------------------------------

@operation("/nominations", "POST", summary="Start a nomination (in its title's initial state)", tag="nominations",
           status=201, body=s.NominationCreate, response=s.NominationOut,
           errors=(400, 401, 403, 404, 409, 422))
def create_nomination():
    data = parse(s.NominationCreate)
    n = nominations.create(actor(), title=data.title, subject_id=data.subject_id, year=data.year,
                           self_assessment=data.self_assessment)
    return _json(serialize.nomination(n, actor()), 201)


@operation("/nominations/<id:nomination_id>", "GET", summary="A nomination in detail",
           tag="nominations", response=s.NominationOut, errors=(401, 404))
def get_nomination(nomination_id: int):
    return _json(serialize.nomination(nominations.get(actor(), nomination_id), actor()))


@operation("/nominations/<id:nomination_id>", "PATCH",
           summary="Replace the self-assessment (draft or returned only)", tag="nominations",
           body=s.NominationPatch, response=s.NominationOut,
           errors=(400, 401, 403, 404, 409, 422))
def patch_nomination(nomination_id: int):
    data = parse(s.NominationPatch)
    n = nominations.update_self_assessment(actor(), nomination_id, version=data.version,
                                           self_assessment=data.self_assessment)
    return _json(serialize.nomination(n, actor()))


@operation("/nominations/<id:nomination_id>", "DELETE",
           summary="Delete a draft never submitted (its evidence files too)", tag="nominations",
           status=204, errors=(401, 404, 409),
           description="Only the applicant deletes, only a draft that was never submitted (it "
                       "has no receipt code); anyone else: 404; a dossier ever submitted or no "
                       "longer a draft: 409 transition_not_allowed (withdraw it instead). The "
                       "deletion is recorded in the audit log.")
def delete_nomination(nomination_id: int):
    nominations.delete_draft(actor(), nomination_id)
    return "", 204


@operation("/nominations", "GET", summary="Nominations the caller may see", tag="nominations",
           response=s.page_of(s.NominationOut), errors=(400, 401, 422),
           query={"state": {"type": "string"}, "title": {"type": "string"},
                  "year": {"type": "integer"},
                  "unit": {"type": "string", "description": "a unit code: it and every unit below"},
                  "stage": {"type": "string", "enum": list(nominations.STAGES),
                            "description": "the review queue or awaiting a decision, whatever "
                                           "each title calls those states"},
                  "late": {"type": "boolean",
                           "description": "only open dossiers past their title's last day for "
                                          "a decision"},
                  "q": {"type": "string", "maxLength": Longest.QUERY,
                        "description": "one search box: a name (diacritics optional) of a person "
                                       "or organization, a receipt code (any case) or a số định "
                                       "danh (12 digits)"},
                  "target_group": {"type": "string"}, **PAGE_QUERY})
def list_nominations():
    page, per_page = page_args()
    stage = request.args.get("stage") or None
    if stage is not None and stage not in nominations.STAGES:
        raise Invalid("stage is one of " + ", ".join(nominations.STAGES) + ".",
                      [{"field": "stage", "code": "invalid_choice",
                        "message": "not a stage"}])
    late = (request.args.get("late") or "").lower()
    if late not in ("", "true", "false", "1", "0"):
        raise Invalid("late is true or false.",
                      [{"field": "late", "code": "bool_parsing", "message": "not true or false"}])
    f = nominations.QueueFilter(
        state=request.args.get("state") or None, stage=stage,
        title=request.args.get("title") or None, year=query_int("year"),
        unit=request.args.get("unit") or None, late=late in ("true", "1"),
        q=request.args.get("q") or None, target_group=request.args.get("target_group") or None)
    result = nominations.search(actor(), f, page=page, per_page=per_page)
    return _json({"items": serialize.nominations(result.items, actor()), "total": result.total,
                  "page": result.page, "per_page": result.per_page})


@operation("/nominations/<id:nomination_id>/events", "POST",
           summary="Fire an event of the title's workflow (one of the nomination's allowed_events)",
           tag="nominations", body=s.EventRequest, response=s.NominationOut,
           errors=(400, 401, 403, 404, 409, 422))
def fire_event(nomination_id: int):
    data = parse(s.EventRequest)
    decision = data.decision
    if isinstance(decision, s.EventDecision):
        decision = decision.model_dump()
    n = nominations.fire(actor(), nomination_id, data.event, version=data.version,
                         comment=data.comment, assessment=data.assessment, decision=decision,
                         notes=data.notes, declared=data.declared)
    return _json(serialize.nomination(n, actor()))


# -- evidence -------------------------------------------------------------------------------------

EVIDENCE_DOC = ("Evidence files of a nomination: per criterion, and the documents its rule version "
                "declares (Tờ trình …, which submit requires). Read by anyone who may see the "
                "nomination (anyone else: 404); added and deleted by the applicant (others who "
                "see it: 403) while the nomination is editable (otherwise 409 "
                "transition_not_allowed).")


@operation("/nominations/<id:nomination_id>/evidence", "GET",
           summary="A nomination's evidence files, in upload order", tag="evidence",
           response=s.page_of(s.EvidenceOut), errors=(400, 401, 404, 422), query=PAGE_QUERY,
           description=EVIDENCE_DOC)
def list_evidence(nomination_id: int):
    page, per_page = page_args()
    result = evidence.page_of_files(actor(), nomination_id, page, per_page)
    documents = _document_codes(nomination_id)
    return _json(page_json(result, lambda f: serialize.evidence(f, documents)))


@operation("/nominations/<id:nomination_id>/evidence", "POST",
           summary="Upload an evidence file (multipart/form-data: file, criterion)",
           tag="evidence", status=201, body=s.EvidenceUpload, body_media="multipart/form-data",
           response=s.EvidenceOut, errors=(400, 401, 403, 404, 409, 413, 422),
           description=EVIDENCE_DOC + " At most " + str(evidence.MAX_FILES_PER_CRITERION)
           + " files per criterion or document (more: 422 too_many); the file's name is "
             "cleaned to a safe set of characters.")
@body_limit(evidence.request_limit)
def upload_evidence(nomination_id: int):
    upload = request.files.get("file")
    try:
        record = evidence.add(actor(), nomination_id,
                              criterion=request.form.get("criterion", ""),
                              filename=(upload.filename or "") if upload else "",
                              stream=upload.stream if upload else io.BytesIO())
    except Invalid as error:
        # Over the file limit but under the body's: the same answer as a body over its limit.
        if any(d.get("code") == "too_large" for d in error.details or []):
            raise TooLarge(error.message, {"limit": evidence.max_bytes()}) from None
        raise
    return _json(serialize.evidence(record, _document_codes(nomination_id)), 201)


def _document_codes(nomination_id: int) -> set[str]:
    return set(evidence.documents(nominations.get(actor(), nomination_id)))


@operation("/nominations/<id:nomination_id>/evidence/<token>", "GET",
           summary="Download an evidence file", tag="evidence", errors=(401, 404),
           response_media=tuple(sorted(set(MEDIA_TYPES.values()))), description=EVIDENCE_DOC)
def download_evidence(nomination_id: int, token: str):
    path, record = evidence.get(actor(), nomination_id, token)
    return attachment(path, record.mimetype, record.display_name, record.kind)


@operation("/nominations/<id:nomination_id>/evidence/<token>", "DELETE",
           summary="Delete an evidence file", tag="evidence", status=204,
           errors=(401, 403, 404, 409), description=EVIDENCE_DOC)
def delete_evidence(nomination_id: int, token: str):
    evidence.remove(actor(), nomination_id, token)
    return "", 204


# -- decisions ------------------------------------------------------------------------------------

@operation("/decisions", "POST",
           summary="Issue a recognition decision approving verified nominations (all or none)",
           tag="decisions", status=201, body=s.DecisionCreate, response=s.DecisionCreated,
           errors=(400, 401, 403, 404, 409, 422))
def create_decision():
    data = parse(s.DecisionCreate)
    decision = nominations.issue_decision(actor(), number=data.number, date_=data.date,
                                          signer=data.signer, nomination_ids=data.nomination_ids,
                                          signer_position=data.signer_position, place=data.place)
    # All or none: every listed nomination was approved (counted without loading its thousands
    # of recognitions back).
    return _json({"id": decision.id, "number": decision.number,
                  "approved": len(data.nomination_ids)}, 201)


@operation("/decisions", "GET", summary="Decisions in the caller's scope", tag="decisions",
           response=s.page_of(s.DecisionOut), errors=(400, 401, 422),
           description="Newest first; each with the first 50 of its recognitions (the rest: "
                       "GET /decisions/{id}?page=…).",
           query={"year": {"type": "integer", "description": "the year of the decision's date"},
                  "from": {"type": "string", "format": "date",
                           "description": "decided on or after this day"},
                  "to": {"type": "string", "format": "date",
                         "description": "decided on or before this day"},
                  "q": {"type": "string", "maxLength": Longest.QUERY,
                        "description": "a part of the decision's number, any case"},
                  "unit": {"type": "string",
                           "description": "a unit code: its decisions and those below it"},
                  **PAGE_QUERY})
def list_decisions():
    page, per_page = page_args()
    f = nominations.DecisionFilter(year=query_int("year"), date_from=query_date("from"),
                                   date_to=query_date("to"), q=request.args.get("q") or None,
                                   unit=request.args.get("unit") or None)
    result = nominations.list_decisions(actor(), page, per_page, f)
    return _json({"items": serialize.decisions(result.items), "total": result.total,
                  "page": result.page, "per_page": result.per_page})


@operation("/decisions/<id:decision_id>", "GET", summary="A decision and its recognitions",
           tag="decisions", response=s.DecisionOut, errors=(400, 401, 404, 422), query=PAGE_QUERY)
def get_decision(decision_id: int):
    page, per_page = page_args()
    return _json(serialize.decision(nominations.get_decision(actor(), decision_id), page, per_page))


# -- progress -------------------------------------------------------------------------------------

PROGRESS_QUERY = {"title": {"type": "string", "enum": "titles", "required": True},
                  "unit": {"type": "string", "description": "unit code; default: the caller's"},
                  "as_of": {"type": "string", "format": "date"}}


@operation("/progress", "GET", summary="Holders against the denominator and target, per child unit",
           tag="progress", response=s.ProgressOut, errors=(400, 401, 404, 422),
           query=PROGRESS_QUERY)
def get_progress():
    p = progress.for_viewer(actor(), request.args.get("title"), request.args.get("unit"),
                            query_date("as_of"))
    return _json(serialize.progress(p))


REPORT_MEDIA = ("application/pdf",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
REPORT_DOC = ("The yearly report to the province (before 15 December): for the unit and each unit "
              "below it, per title, the year's dossiers received, on time, recognised and "
              "rejected; holders, denominators, ratios, targets with their source and gaps on 31 "
              "December (or today, within the year); a verdict for every target year passed; and "
              "the plan's other indicators entered for the year. The same figures as "
              "GET /progress. A year after the current one, or before 2000, is refused (422).")


@operation("/reports/<int:year>", "GET", summary="The yearly report as XLSX or PDF",
           tag="progress", errors=(401, 403, 404, 422), response_media=REPORT_MEDIA,
           roles=("reviewer", "approver", "admin"), description=REPORT_DOC,
           query={"format": {"type": "string", "enum": list(report.FORMATS),
                             "description": "xlsx (default) or pdf"},
                  "unit": {"type": "string", "description": "unit code; default: the caller's"}})
def get_report(year: int):
    fmt = request.args.get("format") or "xlsx"
    if fmt not in report.FORMATS:
        raise Invalid("format must be xlsx or pdf.",
                      [{"field": "format", "code": "not_allowed",
                        "message": "format must be one of: xlsx, pdf."}])
    found = report.build(actor(), year, request.args.get("unit") or None)
    data, mime = report.render(found, fmt)
    return attachment(data, mime, report.filename(found, fmt), fmt)


# -- public ---------------------------------------------------------------------------------------

@operation("/public/dossiers/<receipt_code>", "GET", summary="Follow a dossier by its receipt code",
           tag="public", response=s.PublicDossier, errors=(404, 429), public=True)
@limiter.limit(_public_limit)
def public_dossier(receipt_code: str):
    from ..web import public as public_pages

    n = public.dossier(receipt_code)
    f = public.follow(n)
    return _json({"receipt_code": n.receipt_code, "title": n.title_code, "year": n.year,
                  "state": n.state, "updated_at": n.updated_at.isoformat(),
                  "office": f.office.name, "office_code": f.office.code,
                  "received_on": f.received_on.isoformat() if f.received_on else None,
                  "expected_by": f.due.isoformat() if f.due else None, "status": f.status,
                  "stage": f.stage, "next_step": public_pages.next_step(f),
                  "returned_reason": f.returned_reason,
                  "lookup_url": public_pages.lookup_url(n.receipt_code)})


@operation("/public/recognitions/<code>", "GET", summary="Verify a certificate by its code",
           tag="public", response=s.PublicRecognition, errors=(404, 429), public=True)
@limiter.limit(_public_limit)
def public_recognition(code: str):
    rec = public.recognition(code)
    return _json({"valid": public.is_valid(rec), "title": rec.title_code,
                  "holder": public.holder_label(rec), "valid_until": rec.ends_on.isoformat()})


@operation("/public/progress", "GET", summary="Public progress figures (no personal data)",
           tag="public", response=s.ProgressOut, errors=(400, 404, 422, 429), public=True,
           query=PROGRESS_QUERY)
@limiter.limit(_public_limit)
def public_progress():
    p = progress.for_viewer(None, request.args.get("title"), request.args.get("unit"),
                            query_date("as_of"))
    return _json(serialize.progress(p))


# -- notifications --------------------------------------------------------------------------------

class NotificationOut(s.Response):
    id: int
    kind: str = s.Field(description="returned, verified, approved, rejected, revoked (an event, "
                                    "by its meaning) or overdue, draft_due (a reminder)")
    nomination_id: int | None
    receipt_code: str | None
    title: str | None = s.Field(description="the title's code")
    year: int | None
    reason: str | None = s.Field(description="the comment of a return, rejection or revocation")
    recognition_code: str | None = s.Field(description="an approval's certificate code")
    due: str | None = s.Field(description="a reminder's deadline (ISO date)")
    summary: str = s.Field(description="one line, in the language asked for (Accept-Language)")
    text: str
    link: str | None = s.Field(description="path of the dossier's or certificate's page")
    created_at: str
    read_at: str | None


def _notification(n) -> dict:
    from ..web.notifications import render

    p = n.params or {}
    shown = render(n)
    return {"id": n.id, "kind": n.kind, "nomination_id": n.nomination_id,
            "receipt_code": p.get("receipt"), "title": p.get("title_code"), "year": p.get("year"),
            "reason": p.get("reason") or None, "recognition_code": p.get("code") or None,
            "due": p.get("due") or None, "summary": shown["summary"], "text": shown["text"],
            "link": shown["link"], "created_at": n.created_at.isoformat(),
            "read_at": n.read_at.isoformat() if n.read_at else None}


@operation("/notifications", "GET", summary="The caller's own notifications, newest first",
           tag="notifications", response=s.page_of(NotificationOut), errors=(400, 401, 422),
           query=PAGE_QUERY,
           description="What happened to the caller's dossiers (returned with the reason, "
                       "verified, approved with the certificate code, rejected, revoked) and "
                       "reminders (dossiers past their deadline, for the reviewers and approvers "
                       "who must act; drafts not submitted a week before the deadline).")
def list_notifications():
    from ..services import notifications

    page, per_page = page_args()
    return _json(page_json(notifications.inbox(actor(), page, per_page), _notification))


@operation("/notifications/<id:notification_id>/read", "POST",
           summary="Mark one of the caller's notifications read", tag="notifications",
           response=NotificationOut, errors=(400, 401, 404),
           description="Another account's notification: 404, nothing changed.")
def read_notification(notification_id: int):
    from ..services import notifications

    return _json(_notification(notifications.mark_read(actor(), notification_id)))
