"""Request and response shapes: parsed with pydantic (strict types) and published in the
OpenAPI document. Ranges and formats are the services' business, so they are checked once;
the longest text each field takes is stated here too (`maxLength`), read from the services' one
table (certify/services/validate.Longest)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ..services.validate import Longest

Level = Literal["province", "district", "commune"]
Role = Literal["admin", "household", "organization", "reviewer", "approver"]


# Text from a client: any string without NUL characters, which no name, code or comment contains
# and PostgreSQL refuses to store.
Text = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$")]


def _password_lengths(schema: dict) -> None:
    # The bounds the service enforces (PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH), read when the
    # document is built; the service, not pydantic, checks them, so that a wrong length is a 422
    # with its reason like every other policy failure.
    from ..services.accounts import password_limits

    schema["minLength"], schema["maxLength"] = password_limits()


PASSWORD_POLICY = ("Counted in characters, any printable Unicode including spaces; refused (422): "
                   "a common password, the account's username or display name.")
# A password an account is given: documented with the policy's length bounds.
NewPassword = Annotated[Text, Field(description=PASSWORD_POLICY,
                                    json_schema_extra=_password_lengths)]


def text(max_length: int):
    """Text of at most `max_length` characters (longer: 422 `too_long`)."""
    return Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", max_length=max_length)]


Code = text(Longest.CODE)
UnitCode = text(Longest.UNIT_CODE)


class Request(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")


class Response(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- requests -------------------------------------------------------------------------------------

class TokenRequest(Request):
    username: text(Longest.USERNAME)
    password: Text


class PasswordChange(Request):
    current_password: Text = Field(description="The account's password now; wrong: 403.")
    new_password: NewPassword


class UnitFields(Request):
    code: UnitCode
    name: text(Longest.UNIT_NAME)
    level: Code = Field(description="province, district or commune")


class ReorganizedUnitIn(UnitFields):
    model_config = ConfigDict(strict=True, extra="ignore", populate_by_name=True)

    parent_code: UnitCode | None = Field(
        default=None, description="The unit it stands below from `effective` on: another new "
                                  "unit of this change, or one that goes on.")
    from_: list[UnitCode] = Field(default_factory=list, alias="from", description=(
        "Codes of the units it replaces, as they are on the day before `effective`. A unit in "
        "the `from` of several new units is split (see `assign`)."))


class AssignmentIn(Request):
    households: list[int | Text] = Field(default_factory=list, description="ids or names")
    organizations: list[int | Text] = Field(default_factory=list, description="ids or names")
    persons: list[int | Text] = Field(default_factory=list, description=(
        "ids or national ids of persons without a household"))
    accounts: list[text(Longest.USERNAME)] = Field(default_factory=list,
                                                   description="usernames")


class ReorganizationIn(Request):
    effective: Text = Field(description="YYYY-MM-DD: the first day of the new units; the old "
                                        "ones end the day before.")
    source: text(Longest.SUCCESSION_SOURCE) = Field(
        description="The text that decided it, e.g. \"NQ 1686/NQ-UBTVQH15, 16/6/2025\".")
    units: list[ReorganizedUnitIn]
    assign: dict[str, AssignmentIn] | None = Field(default=None, description=(
        "New unit code → which households, organizations, persons without a household and "
        "staff accounts of a split unit go there. Every one must be assigned."))
    dry_run: bool = Field(default=False, description="true: only say what would move (200).")


class UnitCreate(UnitFields):
    parent_code: UnitCode | None = Field(
        default=None, description="The unit it stands below, the one bearing that code on "
                                  "valid_from.")
    valid_from: Text | None = Field(
        default=None, description="YYYY-MM-DD, the first day the unit exists; default "
                                  "1900-01-01 (a unit whose start is not recorded).")
    valid_until: Text | None = Field(
        default=None, description="YYYY-MM-DD, the last day the unit exists (included); "
                                  "default null: current. A code names one unit on any day: "
                                  "a period overlapping another unit of the same code is 422 "
                                  "`taken`.")


class UserCreate(Request):
    username: text(Longest.USERNAME)
    password: NewPassword
    role: Code = Field(description="admin, household, organization, reviewer or approver")
    unit_code: UnitCode | None = Field(default=None, description="Required for every role but admin.")
    display_name: text(Longest.DISPLAY_NAME) | None = None
    organization_id: int | None = Field(default=None, description="For organization accounts.")


ORG_LEVEL_HELP = ("province, district or commune: which tier reviews and approves its \"Đơn vị "
                  "học tập\" dossier where the tier profile routes by it (vn-2025 from "
                  "1/7/2025).")


class OrganizationCreate(Request):
    name: text(Longest.ORGANIZATION_NAME)
    unit_code: UnitCode
    members_count: int
    level: Code | None = Field(default=None, description=ORG_LEVEL_HELP + " Default: its unit's "
                                                                          "level.")


class OrganizationPatch(Request):
    level: Code = Field(description=ORG_LEVEL_HELP)


class PersonCreate(Request):
    full_name: text(Longest.FULL_NAME)
    national_id: Code = Field(description="Personal identification number (số định danh cá nhân, on the thẻ căn cước): exactly 12 digits, unique.")
    birth_year: int
    gender: Code = Field(description="male or female")
    target_group: Code = Field(description="commune_resident, worker, staff_business or learner")
    ethnicity: text(Longest.ETHNICITY) | None = None
    religion: text(Longest.RELIGION) | None = Field(
        default=None, description="Optional (tôn giáo), as on the national platform.")
    occupation: text(Longest.OCCUPATION) | None = None


MemberRole = Literal["staff", "learner"]
DAY_HELP = "YYYY-MM-DD"


class MemberCreate(Request):
    """A member by `person_id` (a person the caller already sees) or by `national_id`: the person
    with that number is linked (one row per number); a new number registers a new person with
    the person fields below and `unit_code`, the commune they live in."""

    person_id: int | None = None
    national_id: Code | None = Field(default=None, description="12 digits (số định danh cá nhân).")
    full_name: text(Longest.FULL_NAME) | None = Field(
        default=None, description="Required for a new person; for a known number it must match.")
    birth_year: int | None = None
    gender: Code | None = Field(default=None, description="male or female")
    target_group: Code | None = Field(
        default=None, description="commune_resident, worker, staff_business or learner")
    ethnicity: text(Longest.ETHNICITY) | None = None
    religion: text(Longest.RELIGION) | None = None
    occupation: text(Longest.OCCUPATION) | None = None
    unit_code: UnitCode | None = Field(
        default=None, description="A new person's commune: its committee reviews their dossiers.")
    role: Code = Field(description="staff or learner")
    from_: Text = Field(alias="from", description=DAY_HELP + ", the first day of membership.")
    until: Text | None = Field(default=None, description=DAY_HELP + ", the last day (included).")


class MemberPatch(Request):
    until: Text = Field(description=DAY_HELP + ": the membership's last day (included).")


Assessment = dict[Code, int | bool]
ASSESSMENT_HELP = ("Criterion code → points (an integer, for `points` criteria) or met / not met "
                   "(true / false, for `target` criteria) of the rule version the nomination is "
                   "judged by; computed targets are not set.")


class NominationCreate(Request):
    title: Code
    subject_id: int
    year: int
    self_assessment: Assessment | None = Field(default=None, description=ASSESSMENT_HELP)


class NominationPatch(Request):
    version: int
    self_assessment: Assessment = Field(description=ASSESSMENT_HELP)


Position = Literal["tm_chu_tich", "kt_pho_chu_tich"]
POSITION_HELP = ("The authority line above the signer: tm_chu_tich (\"TM. ỦY BAN NHÂN DÂN\" / "
                 "\"CHỦ TỊCH\") or kt_pho_chu_tich (\"KT. CHỦ TỊCH\" / \"PHÓ CHỦ TỊCH\").")
NUMBER_HELP = "NĐ 30/2020 form, e.g. 12/QĐ-UBND or 07/2025/QĐ-UBND."


class EventDecision(Request):
    """The decision an approval belongs to: `id` of one of the caller's unit, or the fields of a
    new one-item decision (a missing one: 422 naming it)."""

    id: int | None = None
    number: text(Longest.DECISION_NUMBER) | None = Field(default=None, description=NUMBER_HELP)
    date: Text | None = Field(default=None, description="YYYY-MM-DD; not in the future, not "
                                                        "before the dossier's submission.")
    signer: text(Longest.SIGNER) | None = None
    signer_position: Text | None = Field(default=None, description=POSITION_HELP)
    place: text(Longest.PLACE) | None = None


class EventRequest(Request):
    event: Code = Field(description="an event of the nomination's title, as its workflow file names "
                                    "it (shipped: submit, withdraw, return, verify, reject, approve, "
                                    "revoke); `allowed_events` lists those the caller may fire now")
    version: int
    comment: text(Longest.COMMENT) | None = None
    assessment: Assessment | None = Field(default=None, description=ASSESSMENT_HELP)
    notes: dict[Code, text(Longest.NOTE)] | None = Field(
        default=None, description="verify: the reviewer's note per target criterion, kept "
                                  "beside met / not met.")
    decision: EventDecision | int | None = Field(
        default=None, description="approve: the decision it belongs to (required); an integer "
                                  "is the id of an existing decision")
    declared: bool | None = Field(
        default=None, description="submit: the applicant declares the information true (\"Tôi "
                                  "cam đoan …\"); recorded in the history entry. Optional.")


class DecisionCreate(Request):
    number: text(Longest.DECISION_NUMBER) = Field(description=NUMBER_HELP)
    date: date
    signer: text(Longest.SIGNER)
    signer_position: Text | None = Field(default=None, description=POSITION_HELP + " Required.")
    place: text(Longest.PLACE) | None = None
    nomination_ids: list[int]


class EvidenceUpload(Request):
    """An evidence upload (multipart/form-data; documented only, read by the view)."""

    file: bytes = Field(description="The file: PDF, JPEG or PNG, recognised by its first bytes "
                                    "(another kind: 422 wrong_type); larger than the limit: 413 "
                                    "too_large.")
    criterion: Code = Field(description="Where the file goes: a criterion code or a document "
                                        "slot code of the nomination's rule version (another: "
                                        "422 unknown).")


class ImportUpload(Request):
    """A list to import (multipart/form-data; documented only, read by the view)."""

    file: bytes = Field(description=(
        "A CSV (UTF-8 with or without BOM, comma or semicolon) or XLSX file (first sheet); the "
        "first line names the columns, in Vietnamese or by their English keys (README, "
        "Imports). The raw file as the whole body (Content-Type text/csv or the XLSX type) is "
        "taken too."))


# -- responses ------------------------------------------------------------------------------------

class ErrorBody(Response):
    code: str
    message: str
    details: object = None


class Error(Response):
    error: ErrorBody


class UserOut(Response):
    id: int
    username: str
    role: Role
    unit_code: str | None
    display_name: str
    organization_id: int | None
    household_id: int | None
    active: bool


class PasswordChanged(Response):
    user: UserOut
    tokens_revoked: bool = Field(description=(
        "Always true: every API token of the account is revoked, the one this request carried "
        "included, and every browser session ends. Sign in again with the new password."))


class TokenOut(Response):
    token: str
    expires_at: datetime
    user: UserOut


class UnitLink(Response):
    """A unit on the other side of a succession: `effective` is the first day of the successor."""
    code: str
    name: str
    valid_from: date
    valid_until: date | None
    effective: date
    kind: Literal["merge", "split", "rename"]


class UnitOut(Response):
    code: str
    name: str
    level: Level
    parent_code: str | None
    children: list[str] = Field(description="Codes of the units directly below it on the day "
                                            "asked (`on`; default today, or the unit's last day "
                                            "when it has ended).")
    valid_from: date = Field(description="The first day the unit exists.")
    valid_until: date | None = Field(description="The last day the unit exists (included); null "
                                                 "while current. Its code is free the day after.")
    predecessors: list[UnitLink] = Field(description="The units it took over, earliest first.")
    successors: list[UnitLink] = Field(description="The units that took it over, earliest first.")


class MovedItem(Response):
    id: int
    name: str


class MovedDossier(Response):
    id: int
    receipt_code: str | None = Field(description="null for a draft never submitted.")
    state: str


class ReplacedUnit(Response):
    code: str
    name: str
    kind: str = Field(description="merge, split or rename ('' when already applied)")


class MoveCounts(Response):
    households: int
    organizations: int
    persons: int
    accounts: int
    open_dossiers: int


class CarriedDenominator(Response):
    title_code: str
    year: int
    value: int


class DenominatorToEnter(Response):
    title_code: str
    year: int


class PlannedDenominators(Response):
    carried: list[CarriedDenominator] = Field(description=(
        "Entered for the new unit: the sum of its predecessors taken over whole."))
    to_enter: list[DenominatorToEnter] = Field(description=(
        "Left for an admin to enter (a split unit's figure cannot be divided)."))


class PlannedUnit(Response):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    code: str
    name: str
    level: Level
    parent_code: str | None
    from_: list[ReplacedUnit] = Field(alias="from")
    counts: MoveCounts
    households: list[MovedItem] = Field(description="The first 200; all are counted.")
    organizations: list[MovedItem]
    persons: list[MovedItem]
    accounts: list[MovedItem]
    open_dossiers: list[MovedDossier]
    denominators: PlannedDenominators


class EndingUnit(Response):
    code: str
    name: str
    level: Level


class UnassignedItem(Response):
    kind: Literal["household", "organization", "person", "account"]
    id: int
    unit: str
    name: str


class ReorganizationOut(Response):
    effective: date
    source: str
    last_day_of_old_units: date
    already_applied: bool = Field(description="true: this change was applied before; nothing "
                                              "changed now.")
    applied: bool
    ending: list[EndingUnit]
    units: list[PlannedUnit]
    unassigned: list[UnassignedItem] = Field(description=(
        "Rows of a split unit not assigned to a new unit; while any is left, applying is 422."))


class DenominatorsOut(Response):
    unit_code: str
    year: int
    denominators: dict[str, int]
    carried: dict[str, str] = Field(description=(
        "Title code → the source text of the reorganisation whose former units' figures this one "
        "still sums (carried at the change, not yet entered again for the new unit). Entering "
        "the figure clears it."))


class OrganizationOut(Response):
    id: int
    name: str
    unit_code: str
    members_count: int
    level: Level = Field(description=ORG_LEVEL_HELP)


class PersonOut(Response):
    id: int
    full_name: str
    national_id: str = Field(description="Masked (last 4 digits) except for the household and admins.")
    birth_year: int
    gender: Literal["male", "female"]
    target_group: str
    ethnicity: str | None
    religion: str | None
    occupation: str | None
    unit_code: str
    household_id: int | None = Field(description="None for a person registered by an organization.")


class MemberOut(Response):
    id: int
    organization_id: int
    person: PersonOut
    role: MemberRole
    from_: date = Field(alias="from")
    until: date | None
    current: bool = Field(description="A member today.")


class CriterionOut(Response):
    code: str
    name: str
    name_en: str
    group: str | None
    kind: Literal["points", "target"]
    max_points: int | None = Field(description="For `points` criteria; null for targets.")
    computed: bool = Field(description="A target the product computes from its records (the "
                                       "share of members holding \"Công dân học tập\").")


class ByOrganizationLevelOut(Response):
    by_organization_level: dict[Level, Level] = Field(description=(
        "The organization's level → the unit level that acts on its dossier."))


class TransitionOut(Response):
    from_: list[str] = Field(alias="from")
    to: str
    role: str
    tier: Level | ByOrganizationLevelOut | None = Field(description=(
        "The unit level whose accounts of `role` act today (null: the applicant), or a route by "
        "the organization's own level."))


class EventOut(Response):
    code: str
    name: str
    needs: list[str]
    transitions: list[TransitionOut]


class GradeOut(Response):
    code: str
    name: str
    min_total: int


class ShareThresholdOut(Response):
    members: float
    learners: float | None


class PriorLevelOut(Response):
    level: str
    years: int


class LevelOut(Response):
    code: str
    name: str
    min_share: dict[str, ShareThresholdOut]
    after: PriorLevelOut | None


class ValidityOut(Response):
    years: int
    counted_from: Literal["decision_date", "end_of_decision_year"]


class DeadlineOut(Response):
    month: int
    day: int
    year_offset: int


class DeadlinesOut(Response):
    submit_from: DeadlineOut | None
    submit_before: DeadlineOut | None
    approve_before: DeadlineOut | None


class TierOut(Response):
    reviewer: Level | ByOrganizationLevelOut
    approver: Level | ByOrganizationLevelOut


class DatedTierOut(TierOut):
    from_: date = Field(alias="from", description="The first day this entry is in force (until "
                                                  "the next entry's day).")


class DocumentOut(Response):
    code: str
    name: str
    required: bool


class VersionOut(Response):
    id: str
    in_force_from: date
    source: str
    criteria: list[CriterionOut]
    pass_rule: dict[str, int] | None = Field(description="Points versions; null with levels.")
    levels: list[LevelOut] = Field(description="Levels versions (highest last); empty with a "
                                               "pass_rule.")
    grades: list[GradeOut]
    valid: ValidityOut
    deadlines: DeadlinesOut | None
    tiers: dict[str, TierOut | list[DatedTierOut]] = Field(description=(
        "Per profile: one mapping, or dated entries oldest first (e.g. vn-2025)."))
    documents: list[DocumentOut]


class TitleOut(Response):
    code: str
    name: str
    name_en: str
    subject: Literal["person", "organization"]
    criteria: list[CriterionOut] = Field(description="The version in force today.")
    pass_rule: dict[str, int] | None = Field(description="The version in force today; null "
                                                         "when it has levels.")
    grades: list[GradeOut]
    valid_years: int
    versions: list[VersionOut] = Field(description="Every rule version, oldest first.")
    states: list[str]
    final_states: list[str]
    events: list[EventOut]
    targets: dict[str, float]
    profile: str


class HistoryOut(Response):
    event: str
    from_: str | None = Field(alias="from")
    to: str
    actor: str | None
    at: datetime
    comment: str | None


class DecisionRef(Response):
    id: int
    number: str
    date: date


class RecognitionOut(Response):
    code: str
    valid_from: date
    valid_until: date
    grade: Literal["tot", "kha", "trung_binh"] | None = Field(
        description="Versions that grade points (TT 22/2020); null otherwise.")
    level: Literal["muc_do_1", "muc_do_2"] | None = Field(
        description="Versions with levels (TT 24/2023); null otherwise.")
    revoked_on: date | None
    decision: DecisionRef | None


class ComputedOut(Response):
    value: float | None = Field(description="numerator / denominator; null without members.")
    numerator: int
    denominator: int
    as_of: date
    basis: Literal["members", "learners"] = Field(
        description="learners for a school (an organization with learners that day).")


class NominationOut(Response):
    id: int
    receipt_code: str | None = Field(description="Given at the first submission and kept after; "
                                                 "null for a draft never submitted.")
    title: str
    subject_id: int
    subject_name: str
    unit_code: str
    year: int
    rule_version: str = Field(description="The rule version it is judged by: the one in force "
                                          "on 31 December of `year`.")
    state: str
    version: int
    self_assessment: dict[str, int | bool]
    review_assessment: dict[str, int | bool]
    review_notes: dict[str, str]
    computed: dict[str, ComputedOut] = Field(description="Computed targets, from the records "
                                                         "as of 31 December of `year`.")
    self_total: int
    review_total: int
    allowed_events: list[str]
    history: list[HistoryOut]
    recognition: RecognitionOut | None
    created_at: datetime
    updated_at: datetime


class DecisionCreated(Response):
    id: int
    number: str
    approved: int


class DecisionItem(Response):
    nomination_id: int
    subject_name: str
    unit_code: str
    recognition_code: str


class DecisionItems(Response):
    items: list[DecisionItem]
    total: int
    page: int
    per_page: int


class DecisionOut(Response):
    id: int
    number: str
    date: date
    issuer: str
    signer: str
    signer_position: Position | None = Field(description=POSITION_HELP + " Null on decisions "
                                                         "made before it was recorded.")
    place: str | None
    unit_code: str
    items: DecisionItems


class ProgressChild(Response):
    unit: str
    name: str
    holders: int
    denominator: int | None
    ratio: float | None
    gap: int | None = Field(description="Holders still needed to reach the target; 0 once "
                                        "reached; null without a denominator.")


class ProgressOut(Response):
    unit: str
    name: str
    title: str
    as_of: date
    holders: int
    denominator: int | None
    ratio: float | None
    target: float | None
    target_year: int | None
    target_source: str | None = Field(description="The text that sets the target (the workflow "
                                                  "file's target_sources).")
    gap: int | None = Field(description="Holders still needed to reach the target; 0 once "
                                        "reached; null without a denominator.")
    children: list[ProgressChild]


class PublicDossier(Response):
    receipt_code: str
    title: str
    year: int
    state: str
    updated_at: datetime
    office: str = Field(description="The receiving office: the unit whose tier reviews the "
                                    "dossier under the tier profile in force.")
    office_code: str
    received_on: date | None = Field(description="The day it was first submitted.")
    expected_by: date | None = Field(description="The last day for a result by the rules' "
                                                 "deadlines (null where they set none).")
    status: Literal["on_time", "late"]
    stage: Literal["review", "returned", "decision", "granted", "ended"]
    next_step: str = Field(description="What happens next, in plain words (the caller's "
                                       "language).")
    returned_reason: str | None = Field(description="The reviewer's reason when the dossier "
                                                    "was returned (the comment only).")
    lookup_url: str = Field(description="The public look-up page (what the QR code opens).")


class PublicRecognition(Response):
    valid: bool
    title: str
    holder: str = Field(description="Initials for a person; the name for an organization.")
    valid_until: date


class EvidenceOut(Response):
    id: int
    token: str = Field(description="The file's address: /nominations/{id}/evidence/{token}.")
    criterion: str = Field(description="The criterion or document slot code it was uploaded to.")
    slot: Literal["criterion", "document"] = Field(
        description="Whether `criterion` names a criterion or a document of the rule version.")
    filename: str = Field(description="The cleaned name it is downloaded under.")
    size: int = Field(description="Bytes.")
    content_type: Literal["application/pdf", "image/jpeg", "image/png"]
    sha256: str
    uploaded_at: datetime
    uploaded_by: int | None = Field(description="The uploading account's id.")


def page_of(item: type[BaseModel]) -> dict:
    """A paginated list's schema (built by the OpenAPI module)."""
    return {"page_of": item}


class ImportProblem(Response):
    row: int | None = Field(description="The line as a spreadsheet shows it (the header is 1); "
                                        "null: the file as a whole.")
    column: str = Field(description="The column's header as written in the file.")
    reason: str = Field(description="A machine word: national_id, unknown_unit, duplicate, "
                                    "too_long, missing_column, not_a_table, … (README, Imports).")
    message: str


class ImportReport(Response):
    kind: Literal["persons", "members", "recognitions"]
    rows: int = Field(description="Rows below the header (blank lines left out).")
    valid: int = Field(description="Rows without a problem.")
    error_count: int
    errors: list[ImportProblem] = Field(description="Every problem, by line.")
    created: dict[str, int] = Field(description="What was (dry run: would be) created: "
                                                "households, persons, memberships, nominations, "
                                                "recognitions, decisions.")
    matched: dict[str, int] = Field(description="What already existed and is reused (persons by "
                                                "số định danh, households, decisions).")
    applied: bool
