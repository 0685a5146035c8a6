"""Imports of persons (households), organization members and paper recognitions: every bad row
reported with its line, column and reason, all rows or none, duplicates matched by số định danh."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from certify import clock
from certify.extensions import db
from certify.models import (Decision, HistoryEntry, Household, Membership, Nomination, Person,
                           ProgressDelta, Recognition)
from certify.services import imports, progress
from certify.workflow import engine, meaning, workflow

from .factories import CITIZEN, UNIT_TITLE, next_national_id

PERSONS_HEADER = "Hộ gia đình,Địa chỉ,Mã xã,Họ và tên,Số định danh,Năm sinh,Giới tính,Đối tượng,Dân tộc"


def csv_bytes(*lines: str, bom: bool = False) -> bytes:
    return (("\ufeff" if bom else "") + "\n".join(lines) + "\n").encode("utf-8")


def xlsx_bytes(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    for r in rows:
        sheet.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def counts() -> tuple:
    return tuple(db.session.scalar(select(func.count()).select_from(m))
                 for m in (Person, Household, Membership, Nomination, Recognition, Decision,
                           ProgressDelta))


def problems(report_or_error) -> set[tuple]:
    report = getattr(report_or_error, "report", report_or_error)
    return {(p.line, p.column, p.reason) for p in report.errors}


# -- persons --------------------------------------------------------------------------------------

def test_good_persons_csv_makes_households_and_people(world):
    a, b, c = next_national_id(), next_national_id(), next_national_id()
    data = csv_bytes(PERSONS_HEADER,
                     f"Hộ Lê Văn Tám,12 Trần Phú,16729,Lê Văn Tám,{a},1970,Nam,Người lao động,Kinh",
                     f"Hộ Lê Văn Tám,12 Trần Phú,16729,Phạm Thị Hoa,{b},1972,Nữ,worker,",
                     f",,16732,Đỗ Minh,{c},2001,male,Học sinh, sinh viên, học viên,", bom=True)
    # The last row's target group holds a comma: quoted as a spreadsheet writes it.
    data = data.replace("Học sinh, sinh viên, học viên".encode(), b'"Hoc sinh, sinh vien, hoc vien"')
    report = imports.check("persons", data)
    assert report.errors == [] and report.rows == 3 and report.valid == 3
    assert counts()[0] == 2  # the dry run wrote nothing
    report = imports.apply("persons", data, world.admin)
    assert report.created == {"households": 1, "persons": 3}
    tam = db.session.scalar(select(Person).where(Person.national_id == a))
    hoa = db.session.scalar(select(Person).where(Person.national_id == b))
    minh = db.session.scalar(select(Person).where(Person.national_id == c))
    assert tam.household_id == hoa.household_id is not None
    assert tam.household.name == "Hộ Lê Văn Tám" and tam.household.unit_id == world.ward_a.id
    assert (tam.gender, tam.target_group, tam.ethnicity) == ("male", "worker", "Kinh")
    assert hoa.gender == "female" and minh.household_id is None
    assert minh.unit_id == world.ward_b.id and minh.target_group == "learner"
    assert tam.search_name == "le van tam"


def test_a_column_filled_in_some_rows_only_is_stored_there_and_null_elsewhere(world):
    # (the writes leave out a column no row of a batch fills, to its NULL default)
    a, b, c = next_national_id(), next_national_id(), next_national_id()
    data = csv_bytes(PERSONS_HEADER + ",Tôn giáo,Nghề nghiệp",
                     f"Hộ Mười,,16729,Lê Văn Mười,{a},1970,Nam,worker,,Phật giáo,",
                     f"Hộ Mười,,16729,Lê Thị Mười,{b},1972,Nữ,worker,,,",
                     f",,16732,Đỗ Văn Mười,{c},1990,Nam,worker,Kinh,,")
    assert imports.apply("persons", data, world.admin).created == {"households": 1, "persons": 3}
    stored = {p.national_id: p for p in db.session.scalars(
        select(Person).where(Person.national_id.in_([a, b, c])))}
    assert [(stored[n].religion, stored[n].occupation, stored[n].ethnicity) for n in (a, b, c)] == [
        ("Phật giáo", None, None), (None, None, None), (None, None, "Kinh")]
    assert [stored[n].own_unit_id for n in (a, b, c)] == [None, None, world.ward_b.id]
    assert stored[a].household.address is None


def test_persons_xlsx_semicolons_and_english_keys(world):
    nid = next_national_id()
    data = xlsx_bytes([["household", "address", "unit_code", "full_name", "national_id",
                        "birth_year", "gender", "target_group"],
                       ["Hộ A", "Xóm 1", "16729", "Vũ Thị Lan", int(nid), 1990, "Nữ",
                        "commune_resident"]])
    report = imports.apply("persons", data, world.admin)
    assert report.created["persons"] == 1
    # A number cell loses leading zeros in Excel: the 12 digits are restored.
    assert db.session.scalar(select(Person.full_name).where(Person.national_id == nid)) == "Vũ Thị Lan"
    other = next_national_id()
    semicolons = csv_bytes("Mã xã;Họ tên;Số CCCD;Năm sinh;Giới tính;Nhóm đối tượng",
                           f"16732;Hà Văn Sơn;{other};1960;Nam;Người dân trong xã, phường")
    assert imports.apply("persons", semicolons, world.admin).created == {"households": 0,
                                                                         "persons": 1}


def test_every_kind_of_bad_person_row_is_reported_and_nothing_written(world):
    before = counts()
    good = next_national_id()
    dup = next_national_id()
    long_name = "A" * 201
    data = csv_bytes(
        PERSONS_HEADER,
        f"Hộ 1,,16729,Người Tốt,{good},1980,Nam,worker,",            # line 2: good
        "Hộ 1,,16729,Sai Số,12345,1980,Nam,worker,",                  # 3: national id
        f"Hộ 1,,99999,Sai Xã,{next_national_id()},1980,Nam,worker,",  # 4: unknown unit
        f"Hộ 1,,381,Huyện,{next_national_id()},1980,Nam,worker,",      # 5: not a commune
        f"Hộ 1,,16729,Sai Nhóm,{next_national_id()},1980,Nam,nông dân,",  # 6: target group
        f"Hộ 1,,16729,Năm Sai,{next_national_id()},1850,Nam,worker,",  # 7: birth year
        f"Hộ 1,,16729,{long_name},{next_national_id()},1980,Nam,worker,",  # 8: too long
        f"Hộ 1,,16729,Trùng 1,{dup},1980,Nam,worker,",                 # 9: first of a duplicate
        f"Hộ 1,,16729,Trùng 2,{dup},1980,Nam,worker,",                 # 10: duplicate in file
        f"Hộ 1,,16729,Khác Tên,{world.person_a.national_id},1985,Nam,worker,",  # 11: name differs
        f"Hộ 1,,16729,Giới,{next_national_id()},1980,X,worker,",       # 12: gender
        f"Hộ 1,,16729,,{next_national_id()},,Nam,worker,",             # 13: two missing cells
    )
    report = imports.check("persons", data)
    assert problems(report) == {
        (3, "Số định danh", "national_id"), (4, "Mã xã", "unknown_unit"),
        (5, "Mã xã", "not_commune"), (6, "Đối tượng", "unknown_target_group"),
        (7, "Năm sinh", "out_of_range"), (8, "Họ và tên", "too_long"),
        (10, "Số định danh", "duplicate"), (11, "Họ và tên", "name_mismatch"),
        (12, "Giới tính", "unknown_gender"), (13, "Họ và tên", "required"),
        (13, "Năm sinh", "required")}
    assert report.rows == 12 and report.valid == 12 - 10
    with pytest.raises(imports.ImportRefused) as refused:
        imports.apply("persons", data, world.admin)
    assert problems(refused.value) == problems(report)
    assert counts() == before
    assert "line" in report.errors_csv().splitlines()[0]
    assert len(report.errors_csv().splitlines()) == 1 + len(report.errors)


def test_rows_the_quick_checks_leave_meet_the_others_in_duplicates_and_households(world):
    # The quick checks (column by column) leave odd cells to the cell-by-cell ones: a year typed
    # 01980 is still a good row, which shares numbers and households with the rest in file order.
    a, b, c = next_national_id(), next_national_id(), next_national_id()
    rows = [f"Hộ Hai,,16729,Người Một,{a},01980,Nam,worker,",    # 2: good, checked cell by cell
            f"Hộ Hai,,16729,Người Hai,{b},1981,Nữ,worker,",      # 3: good, same household as 2
            f"Hộ Ba,,16729,Người Ba,{c},1982,Nam,worker,"]       # 4: good
    bad = [f"Hộ Hai,,16729,Người Bốn,{a},1982,Nam,worker,",      # 5: duplicate of line 2
           f"Hộ Ba,,16729,Người Năm,{b},01983,Nam,worker,",      # 6: duplicate of line 3
           f"Hộ Ba,,16729,Người Sáu,{next_national_id()},¹⁹⁸⁰,Nam,worker,"]  # 7: not a year
    report = imports.check("persons", csv_bytes(PERSONS_HEADER, *rows, *bad))
    assert problems(report) == {(5, "Số định danh", "duplicate"), (6, "Số định danh", "duplicate"),
                                (7, "Năm sinh", "format")}
    assert sorted(p.detail for p in report.errors if p.reason == "duplicate") == [
        "= line 2", "= line 3"]
    report = imports.apply("persons", csv_bytes(PERSONS_HEADER, *rows), world.admin)
    assert report.created == {"households": 2, "persons": 3}
    stored = {p.national_id: p for p in db.session.scalars(
        select(Person).where(Person.national_id.in_([a, b, c])))}
    assert stored[a].birth_year == 1980 and stored[a].search_name == "nguoi mot"
    assert stored[a].household_id == stored[b].household_id != stored[c].household_id
    assert stored[a].own_unit_id is None


def test_existing_person_is_matched_never_duplicated(world):
    a = world.person_a
    new = next_national_id()
    data = csv_bytes(PERSONS_HEADER,
                     f"Hộ mới,,16729,{a.full_name},{a.national_id},1999,Nữ,learner,Tày",
                     f"Hộ mới,,16729,Người Mới,{new},1999,Nữ,learner,")
    report = imports.apply("persons", data, world.admin)
    assert report.created["persons"] == 1 and report.matched["persons"] == 1
    db.session.refresh(a)
    # Matched and left as the household entered them.
    assert (a.birth_year, a.gender, a.ethnicity, a.household_id) == (
        1985, "male", None, world.household_a.household_id)
    assert db.session.scalar(select(func.count()).select_from(Person)
                             .where(Person.national_id == a.national_id)) == 1
    # Importing the same file again: nothing new (the household and person are matched).
    again = imports.apply("persons", data, world.admin)
    assert again.created == {"households": 0, "persons": 0}
    assert again.matched == {"persons": 2, "households": 0}


@pytest.mark.parametrize("data, reason", [
    (b"%PDF-1.4 not a table", "not_a_table"),
    (b"\x89PNG\r\n\x1a\n....", "not_a_table"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old", "old_excel"),
    (b"PK\x03\x04not really a zip", "not_a_table"),
    ("Họ và tên\n".encode("utf-16"), "not_a_table"),
    ("Mã xã,Tên\n".encode("latin-1"), "encoding"),
    (b"", "empty"),
    (PERSONS_HEADER.encode() + b"\n", "empty"),
    (b"M\xc3\xa3 x\xc3\xa3,Colour\n1,2\n", "unknown_column"),
    ("Mã xã,Họ và tên\n16729,A\n".encode(), "missing_column"),
])
def test_files_that_are_not_tables_or_have_wrong_columns(world, data, reason):
    before = counts()
    with pytest.raises(imports.ImportRefused) as refused:
        imports.check("persons", data)
    assert reason in {p.reason for p in refused.value.report.errors}
    assert all(p.line is None for p in refused.value.report.errors)
    with pytest.raises(imports.ImportRefused):
        imports.apply("persons", data, world.admin)
    assert counts() == before


def test_fifty_thousand_bad_rows_answer_clearly_and_change_nothing(world):
    before = counts()
    lines = [PERSONS_HEADER] + [f",,16729,Người {i},12345{i},1980,Nam,worker," for i in range(50_000)]
    data = csv_bytes(*lines)
    report = imports.check("persons", data)
    assert report.rows == 50_000 and report.valid == 0 and len(report.errors) == 50_000
    assert report.errors[0].line == 2 and report.errors[-1].line == 50_001
    shown = report.as_dict(limit=imports.SHOWN_ERRORS)
    assert shown["error_count"] == 50_000 and len(shown["errors"]) == imports.SHOWN_ERRORS
    with pytest.raises(imports.ImportRefused):
        imports.apply("persons", data, world.admin)
    assert counts() == before


# -- members --------------------------------------------------------------------------------------

MEMBERS_HEADER = ('"Cơ quan, đơn vị","Số định danh","Vai trò","Từ ngày","Đến ngày","Họ và tên",'
                  '"Năm sinh","Giới tính","Đối tượng","Mã xã"')


def test_members_by_national_id_and_new_persons(world):
    org = world.organization
    new = next_national_id()
    data = csv_bytes(
        MEMBERS_HEADER,
        f'"{org.name}","{world.person_a.national_id}","Cán bộ","01/09/2024","","","","","",""',
        f'"{org.id}","{new}","Người học","2024-09-01","2025-05-31","Lý Thị Mai","2012","Nữ","learner","16732"',
    )
    report = imports.apply("members", data, world.admin)
    assert report.created == {"persons": 1, "memberships": 2}
    mai = db.session.scalar(select(Person).where(Person.national_id == new))
    assert mai.household_id is None and mai.unit_id == world.ward_b.id
    ms = db.session.scalars(select(Membership).where(Membership.organization_id == org.id)
                            .order_by(Membership.id)).all()
    assert [(m.person_id, m.role, m.starts_on, m.ends_on) for m in ms] == [
        (world.person_a.id, "staff", date(2024, 9, 1), None),
        (mai.id, "learner", date(2024, 9, 1), date(2025, 5, 31))]
    # The same membership again overlaps the stored one.
    again = csv_bytes("organization,national_id,role,from",
                      f"{org.id},{world.person_a.national_id},staff,2025-01-01")
    with pytest.raises(imports.ImportRefused) as refused:
        imports.apply("members", again, world.admin)
    assert problems(refused.value) == {(2, "from", "overlap")}


def test_bad_member_rows(world):
    before = counts()
    org = world.organization
    nid = world.person_a.national_id
    data = xlsx_bytes([
        ["organization", "national_id", "role", "from", "until", "full_name"],
        [999999, nid, "staff", "2024-01-01", None, None],                   # 2 unknown org
        ["Không có", nid, "staff", "2024-01-01", None, None],               # 3 unknown org name
        [org.id, next_national_id(), "staff", "2024-01-01", None, None],    # 4 unknown person
        [org.id, nid, "giám đốc", "2024-01-01", None, None],                # 5 role
        [org.id, nid, "staff", "31/02/2024", None, None],                   # 6 date
        [org.id, nid, "staff", date(2024, 5, 1), date(2024, 4, 1), None],   # 7 until before
        [org.id, nid, "learner", "2024-01-01", None, "Tên Khác"],           # 8 name mismatch
        [org.id, nid, "staff", "2024-01-01", None, None],                   # 9 good
        [org.id, nid, "staff", "2024-06-01", None, None],                   # 10 duplicate of 9
    ])
    report = imports.check("members", data)
    assert problems(report) == {
        (2, "organization", "unknown_organization"), (3, "organization", "unknown_organization"),
        (4, "national_id", "unknown_person"), (5, "role", "unknown_role"), (6, "from", "date"),
        (7, "until", "before_start"), (8, "full_name", "name_mismatch"),
        (10, "from", "duplicate")}
    with pytest.raises(imports.ImportRefused):
        imports.apply("members", data, world.admin)
    assert counts() == before


def a_2023_until(person) -> date:
    return db.session.scalar(select(Recognition.valid_until).join(Nomination).where(
        Nomination.person_id == person.id, Nomination.year == 2023))


# -- recognitions ---------------------------------------------------------------------------------

RECOGNITIONS_HEADER = "Số định danh,Cơ quan,Danh hiệu,Năm,Số quyết định,Ngày quyết định,Người ký"


def test_paper_recognitions_move_progress_and_flask_check_agrees(world, runner):
    wf = workflow(CITIZEN)
    signed = date(2024, 12, 20)
    a, b = world.person_a, world.person_b
    data = csv_bytes(
        RECOGNITIONS_HEADER,
        f"{a.national_id},,Công dân học tập,2024,12/QĐ-UBND,20/12/2024,Lê Văn Thắng",
        f"{b.national_id},,cong-dan-hoc-tap,2024,12/QĐ-UBND,2024-12-20,Lê Văn Thắng",
        f"{a.national_id},,Công dân học tập,2023,7/QĐ-UBND,02/01/2024,")
    before = progress.holders([world.district.id], CITIZEN, signed)[world.district.id]
    report = imports.apply("recognitions", data, world.admin)
    assert report.created == {"nominations": 3, "recognitions": 3, "decisions": 2}
    ns = db.session.scalars(select(Nomination).where(Nomination.year == 2024)
                            .order_by(Nomination.id)).all()
    assert {n.person_id for n in ns} == {a.id, b.id}
    for n in ns:
        assert n.state in meaning.granted_states(wf.spec)
        assert n.recognition.decision.number == "12/QĐ-UBND"
        assert n.recognition.valid_from == signed
        entry = db.session.scalars(select(HistoryEntry).where(
            HistoryEntry.nomination_id == n.id)).one()
        assert entry.event == "import" and "12/QĐ-UBND" in entry.comment
    # One decision per number: both 2024 rows share it, at the approving tier's unit.
    decision = ns[0].recognition.decision
    assert decision.id == ns[1].recognition.decision_id
    assert decision.unit_id == (world.district.id if wf.tier("approver", signed) == "district"
                                else decision.unit_id)
    # Holders count them on the decision date: a subject holding two counts once.
    after = progress.holders([world.district.id], CITIZEN, signed)[world.district.id]
    assert after == before + 2
    # The day before, only a's 2023 recognition (from 2/1/2024) may count, as long as it lasts.
    earlier = engine.valid_until(wf.rules_for_year(2023), date(2024, 1, 2))
    assert a_2023_until(a) == earlier
    assert progress.holders([world.district.id], CITIZEN, signed - timedelta(days=1))[
        world.district.id] == before + (1 if earlier >= signed - timedelta(days=1) else 0)
    assert progress.discrepancies(CITIZEN, signed) == []
    result = runner.invoke(args=["check", "--all-days"])
    assert result.exit_code == 0, result.output
    # The same file again: every row is a duplicate of what is recorded.
    with pytest.raises(imports.ImportRefused) as refused:
        imports.apply("recognitions", data, world.admin)
    assert {p.reason for p in refused.value.report.errors} == {"already_recognized"}


def test_organization_recognition_with_level_xlsx(world):
    org = world.organization
    wf = workflow(UNIT_TITLE)
    rules = wf.rules_for_year(2024)
    level = rules.levels[0] if rules.levels else None
    row = ["", org.name, wf.spec.name.vi, 2024, "3/QĐ-UBND", date(2025, 2, 10), "Ngô Văn B"]
    header = ["Số định danh", "Cơ quan", "Danh hiệu", "Năm", "Số quyết định", "Ngày quyết định",
              "Người ký"]
    if level is not None:
        header.append("Mức độ")
        row.append(level.name.vi)
    report = imports.apply("recognitions", xlsx_bytes([header, row]), world.admin)
    assert report.created["recognitions"] == 1
    rec = db.session.scalars(select(Recognition)).one()
    assert rec.nomination.organization_id == org.id
    assert rec.level == (level.code if level else None)
    assert rec.valid_from == date(2025, 2, 10)
    assert progress.discrepancies(UNIT_TITLE, date(2025, 3, 1)) == []


def test_bad_recognition_rows(world):
    before = counts()
    a = world.person_a
    future = (clock.today() + timedelta(days=3)).strftime("%d/%m/%Y")
    data = csv_bytes(
        RECOGNITIONS_HEADER,
        f"{a.national_id},,Không có,2024,12/QĐ-UBND,20/12/2024,",                     # 2 title
        f"{a.national_id},,Đơn vị học tập,2024,12/QĐ-UBND,20/12/2024,",               # 3 subject kind
        f"{next_national_id()},,Công dân học tập,2024,12/QĐ-UBND,20/12/2024,",        # 4 person
        f"{a.national_id},,Công dân học tập,2024,số 12,20/12/2024,",                  # 5 number
        f"{a.national_id},,Công dân học tập,2024,12/QĐ-UBND,{future},",               # 6 future
        f"{a.national_id},,Công dân học tập,2024,12/QĐ-UBND,20/12/2023,",             # 7 before year
        f"{a.national_id},{world.organization.id},Công dân học tập,2024,12/QĐ-UBND,20/12/2024,",  # 8
        f"{a.national_id},,Công dân học tập,2024,12/QĐ-UBND,20/12/2024,",             # 9 good
        f"{a.national_id},,Công dân học tập,2024,12/QĐ-UBND,20/12/2024,",             # 10 duplicate
        f"{world.person_b.national_id},,Công dân học tập,2024,12/QĐ-UBND,21/12/2024,",  # 11 date differs
    )
    report = imports.check("recognitions", data)
    assert problems(report) == {
        (2, "Danh hiệu", "unknown_title"), (3, "Danh hiệu", "wrong_subject"),
        (4, "Số định danh", "unknown_person"), (5, "Số quyết định", "format"),
        (6, "Ngày quyết định", "future"), (7, "Ngày quyết định", "before_year"),
        (8, "Số định danh", "one_subject"), (10, "Năm", "duplicate"),
        (11, "Ngày quyết định", "decision_date_differs")}
    with pytest.raises(imports.ImportRefused):
        imports.apply("recognitions", data, world.admin)
    assert counts() == before


def test_good_members_xlsx_with_excel_dates(world):
    org = world.organization
    data = xlsx_bytes([["Cơ quan, đơn vị", "Số định danh", "Vai trò", "Từ ngày", "Đến ngày"],
                       [org.id, world.person_b.national_id, "Người học", date(2024, 9, 5), None]])
    report = imports.apply("members", data, world.admin)
    assert report.created == {"persons": 0, "memberships": 1}
    m = db.session.scalars(select(Membership)).one()
    assert (m.person_id, m.role, m.starts_on, m.ends_on, m.created_by_id) == (
        world.person_b.id, "learner", date(2024, 9, 5), None, world.admin.id)


def test_recognitions_need_a_subject_column(world):
    with pytest.raises(imports.ImportRefused) as refused:
        imports.check("recognitions", csv_bytes("title,year,decision_number,decision_date",
                                                "cong-dan-hoc-tap,2024,1/QĐ-UBND,2024-12-01"))
    assert {p.reason for p in refused.value.report.errors} == {"missing_column"}


def test_a_new_member_joins_the_stored_household_of_the_same_name_address_and_commune(world):
    # The household's name holds what a list parameter must carry intact: diacritics, a quote,
    # a comma.
    name = 'Hộ Bà "Tư", Đặng'
    first, second, other = next_national_id(), next_national_id(), next_national_id()
    row = 'Hộ Bà ""Tư"", Đặng'
    imports.apply("persons", csv_bytes(
        PERSONS_HEADER, f'"{row}",5 Lê Lợi,16729,Đặng Thị Tư,{first},1950,Nữ,learner,'),
        world.admin)
    stored = db.session.scalar(select(Person).where(Person.national_id == first)).household_id
    report = imports.apply("persons", csv_bytes(
        PERSONS_HEADER,
        f'"{row}",5 Lê Lợi,16729,Đặng Văn Năm,{second},1980,Nam,worker,',
        # The same name at another address is another household.
        f'"{row}",7 Lê Lợi,16729,Đặng Văn Sáu,{other},1982,Nam,worker,'), world.admin)
    assert report.created == {"households": 1, "persons": 2}
    assert report.matched == {"persons": 0, "households": 1}
    joined = db.session.scalar(select(Person).where(Person.national_id == second))
    apart = db.session.scalar(select(Person).where(Person.national_id == other))
    assert joined.household_id == stored and apart.household_id != stored
    assert db.session.get(Household, stored).name == name


@pytest.mark.parametrize("name", ["Nguyễn Văn Đức", "  ĐẶNG  thị\u00a0Hồng ", "ΟΔΟΣ ΚΑΛΟΣ",
                                  "İstanbul ﬁ Ａ", "\ufdfa x", "a\u0301 \u0301 b", "x" * 300,
                                  "y " * 150, "\u00a8x", "ΑΣ\u0301 ΣΑ Σ", "ǅa Ǆ"])
def test_names_are_folded_for_search_as_everywhere_else(world, name):
    from certify.services.validate import fold

    assert imports.fold_name(name) == fold(name)


def test_every_character_is_folded_as_fold_folds_it():
    from certify.services.validate import fold

    for code in range(0x30000):
        if not 0xD800 <= code < 0xE000:  # surrogates are no characters
            name = f"A{chr(code)}b {chr(code)}"
            assert imports.fold_name(name) == fold(name), hex(code)
