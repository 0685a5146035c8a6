"""Service errors put into the reader's language, for the pages and the API alike: the services
speak English to developers, people read Vietnamese (or English). Reasons are matched by their
field and code."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .errors import (BadRequest, Busy, CertifyError, Conflict, Duplicate, Forbidden, Invalid,
                     MethodNotAllowed, NotFound, RateLimited, Stale, TooLarge, TransitionNotAllowed,
                     Unauthorized)

FIELDS = {
    "effective": _l("Ngày có hiệu lực"),
    "source": _l("Văn bản"),
    "full_name": _l("Họ và tên"),
    "national_id": _l("Số định danh cá nhân"),
    "birth_year": _l("Năm sinh"),
    "gender": _l("Giới tính"),
    "target_group": _l("Đối tượng"),
    "ethnicity": _l("Dân tộc"),
    "religion": _l("Tôn giáo"),
    "occupation": _l("Nghề nghiệp"),
    "year": _l("Năm đánh giá"),
    "comment": _l("Nhận xét"),
    "number": _l("Số quyết định"),
    "date": _l("Ngày quyết định"),
    "signer": _l("Người ký"),
    "signer_position": _l("Thẩm quyền ký"),
    "place": _l("Địa danh"),
    "nomination_ids": _l("Hồ sơ"),
    "username": _l("Tên đăng nhập"),
    "password": _l("Mật khẩu"),
    "current_password": _l("Mật khẩu hiện tại"),
    "new_password": _l("Mật khẩu mới"),
    "role": _l("Vai trò"),
    "unit_code": _l("Đơn vị hành chính"),
    "display_name": _l("Tên hiển thị"),
    "organization_id": _l("Cơ quan, đơn vị"),
    "code": _l("Mã đơn vị"),
    "name": _l("Tên"),
    "level": _l("Cấp"),
    "parent_code": _l("Đơn vị cấp trên"),
    "valid_from": _l("Ngày bắt đầu"),
    "valid_until": _l("Ngày kết thúc"),
    "members_count": _l("Số thành viên"),
    "self_assessment": _l("Bản tự đánh giá"),
    "assessment": _l("Điểm thẩm định"),
    "criterion": _l("Chỉ số"),
    "file": _l("Tệp"),
    "q": _l("Từ khóa tìm kiếm"),
    "event": _l("Thao tác"),
    "title": _l("Danh hiệu"),
    "person_id": _l("Người"),
    "from": _l("Từ ngày"),
    "until": _l("Đến ngày"),
}


def field_label(field: str) -> str:
    cell = re.fullmatch(r"row (\d+), (.+)", field)
    if cell:  # a cell of a CSV file (services/reorganization_files.py)
        return _("Dòng %(row)s, cột %(column)s", row=cell[1], column=cell[2])
    head, _dot, criterion = field.partition(".")
    if head == "decision" and criterion:  # a single approval's new decision
        return str(FIELDS.get(criterion, field))
    if head in ("self_assessment", "assessment") and criterion:
        return _("Chỉ số %(code)s", code=criterion)
    return str(FIELDS.get(head, field))


def _level_name(code) -> str:
    from .web.filters import level_of
    from .workflow import workflows

    for wf in workflows().values():
        name = level_of(code, wf.code)
        if name != code:
            return name
    return str(code or "")


def _document_name(field: str) -> str:
    from .web.filters import loc
    from .workflow import workflows

    code = field.partition(".")[2]
    for wf in workflows().values():
        for version in wf.spec.versions:
            for d in version.documents:
                if d.code == code:
                    return loc(d.name)
    return code


def reason(item: dict) -> str:
    """One reason of an Invalid error as a sentence."""
    field, code = item.get("field", ""), item.get("code", "")
    label = field_label(field)
    if code == "too_large" and field == "file":
        from .services.evidence import max_bytes
        from .web.filters import number

        return _("Tệp quá lớn: mỗi tệp tối đa %(mb)s MB.", mb=number(round(max_bytes() / 1048576, 1)))
    if code == "wrong_type":
        return _("Chỉ nhận tệp PDF, JPEG hoặc PNG.")
    if code == "too_many":
        return _("Mỗi chỉ số có tối đa 5 tệp minh chứng.")
    if code == "required" and field == "file":
        return _("Hãy chọn một tệp để tải lên.")
    if code == "required":
        return _("%(field)s: chưa nhập.", field=label)
    if code == "missing" and field.startswith("documents."):
        return _("Hồ sơ còn thiếu: %(document)s.", document=_document_name(field))
    if code == "missing":
        return _("%(field)s: chưa có điểm.", field=label)
    if code == "not_met":
        return _("Chỉ tiêu %(code)s: chưa đạt.", code=field.partition(".")[2])
    if code == "below_share":
        from .web.filters import percent

        value = item.get("value")
        return _("Chỉ tiêu %(code)s: %(value)s %(basis)s đạt “Công dân học tập”, chưa đạt ngưỡng "
                 "%(threshold)s của %(level)s.", code=field.partition(".")[2],
                 value=percent(value) if value is not None else "—",
                 basis=_("người học") if item.get("basis") == "learners" else _("thành viên"),
                 threshold=percent(item.get("threshold")), level=_level_name(item.get("level")))
    if code == "too_soon":
        return _("%(level)s chỉ xét cho đơn vị đã được công nhận %(after)s từ %(years)s năm trước "
                 "trở lên.", level=_level_name(item.get("level")),
                 after=_level_name(item.get("after")), years=item.get("years"))
    if code == "computed":
        return _("%(field)s: phần mềm tính từ hồ sơ, không nhập tay.", field=label)
    if code == "not_boolean":
        return _("%(field)s: chỉ nhận “Đạt” hoặc “Chưa đạt”.", field=label)
    if code == "no_rules":
        return _("Chưa có quy định của danh hiệu áp dụng cho năm đánh giá này.")
    if code == "control_character":
        return _("%(field)s: có ký tự điều khiển (xuống dòng, tab…), hãy nhập trên một dòng.",
                 field=label)
    longest = item.get("max_length", item.get("maximum"))
    if code == "too_long" and isinstance(longest, int):
        from .web.filters import number

        return _("%(field)s: tối đa %(max)s ký tự.", field=label, max=number(longest))
    if code == "too_long":
        return _("%(field)s: quá dài.", field=label)
    if code == "not_integer":
        return _("%(field)s: phải là số nguyên.", field=label)
    if code == "out_of_range":
        if "max_points" in item:
            return _("%(field)s: điểm phải từ 0 đến %(max)s.", field=label, max=item["max_points"])
        return _("%(field)s: giá trị nằm ngoài khoảng cho phép.", field=label)
    if code == "below_minimum":
        return _("%(field)s: %(points)s điểm, thấp hơn mức tối thiểu %(minimum)s.", field=label,
                 points=item.get("points"), minimum=item.get("minimum"))
    if code == "below_threshold":
        return _("Tổng điểm %(total)s, chưa đạt ngưỡng %(threshold)s.", total=item.get("total"),
                 threshold=item.get("threshold"))
    if code == "format" and field.endswith("number"):
        return _("%(field)s: phải theo mẫu của Nghị định 30/2020/NĐ-CP, ví dụ 12/QĐ-UBND.",
                 field=label)
    if code == "future":
        return _("%(field)s: không được sau ngày hôm nay.", field=label)
    if code == "before_submission":
        return _("%(field)s: trước ngày nộp của hồ sơ %(list)s.", field=label,
                 list=", ".join(f"{n.get('receipt_code')} ({n.get('subject_name')})"
                                for n in item.get("nominations", [])))
    if code == "format" and field == "national_id":
        return _("Số định danh cá nhân phải gồm đúng 12 chữ số.")
    if code == "taken" and field == "national_id":
        return _("Đã có người đăng ký với số định danh cá nhân này.")
    if code == "taken" and field == "code" and isinstance(item.get("unit"), dict):
        return _unit_code_taken(item["unit"])
    if code == "taken":
        return _("%(field)s: đã được dùng.", field=label)
    if code == "too_short":
        return _("%(field)s: cần ít nhất %(min)s ký tự.", field=label, min=item.get("minimum"))
    if code == "common":
        return _("%(field)s: thuộc danh sách mật khẩu phổ biến, dễ bị đoán; hãy chọn mật khẩu "
                 "khác.", field=label)
    if code == "same_as_username":
        return _("%(field)s: không được trùng với tên đăng nhập.", field=label)
    if code == "same_as_display_name":
        return _("%(field)s: không được trùng với tên hiển thị.", field=label)
    if code == "wrong" and field == "current_password":
        return _("Mật khẩu hiện tại không đúng.")
    if code in ("unknown", "unknown_criterion", "unknown_title"):
        return _("%(field)s: không tồn tại.", field=label)
    if code == "not_allowed":
        return _("%(field)s: giá trị không hợp lệ.", field=label)
    if code == "wrong_level":
        return _("Tài khoản hộ gia đình phải thuộc một xã, phường.")
    if code == "mismatch":
        return _("Đơn vị hành chính phải là đơn vị của cơ quan.")
    if code == "not_below_parent":
        return _("Cấp của đơn vị phải thấp hơn cấp của đơn vị cấp trên.")
    if code == "date_parsing":
        return _("%(field)s: ngày không hợp lệ.", field=label)
    if code == "before_start":
        return _("Ngày kết thúc không được trước ngày bắt đầu.")
    if code == "ends_before" and item.get("valid_until"):
        return _("Đơn vị cấp trên kết thúc ngày %(day)s; đơn vị cấp dưới phải kết thúc cùng ngày "
                 "hoặc trước đó.", day=_day(item["valid_until"]))
    if code == "not_open" and field == "year":
        first = _day(item["submit_from"])
        return _("Hồ sơ năm %(year)s chỉ nộp được từ ngày %(day)s, khi năm đánh giá đã kết thúc.",
                 year=item.get("year"), day=first)
    if code == "one_of":
        return _("Chọn một người đã có hoặc nhập số định danh cá nhân, không cả hai.")
    if code == "name_mismatch":
        return _("Số định danh cá nhân này đã được đăng ký với một họ tên khác; hãy kiểm tra lại "
                 "số hoặc họ tên.")
    if code == "not_commune":
        return _("Nơi cư trú phải là một xã, phường: hồ sơ của người này do xã, phường đó thẩm "
                 "định.")
    if code == "overlap":
        return _("Người này đã là thành viên với vai trò này trong một phần khoảng thời gian đó "
                 "(từ %(start)s).", start=_day(item.get("starts_on")))
    if code == "format" and field in ("from", "until"):
        return _("%(field)s: phải là ngày hợp lệ.", field=label)
    if code == "repeated":
        return _("Một hồ sơ được chọn hai lần.")
    if code == "unassigned":
        return _("Chưa phân về đơn vị mới: %(name)s (thuộc đơn vị %(unit)s).",
                 name=item.get("name"), unit=item.get("unit"))
    if code == "children_go_on":
        return _("Đơn vị %(unit)s kết thúc nhưng các đơn vị cấp dưới sau chưa được sắp xếp: "
                 "%(list)s.", unit=item.get("unit"), list=", ".join(item.get("children", [])))
    if code == "parent_ends":
        return _("%(field)s: đơn vị cấp trên này kết thúc trước ngày có hiệu lực; hãy ghi đơn vị "
                 "cấp trên từ ngày đó.", field=label)
    if code == "ended":
        return _("%(field)s: đơn vị đã kết thúc trước đó.", field=label)
    if code == "duplicate":
        return _("%(field)s: được ghi hai lần.", field=label)
    if code == "not_a_successor":
        return _("%(field)s: đơn vị mới này không thay thế đơn vị đang có mục này.", field=label)
    if code == "twice":
        return _("%(field)s: được phân về hai đơn vị.", field=label)
    if code == "ambiguous":
        return _("%(field)s: nhiều mục trùng tên; hãy ghi mã số (id).", field=label)
    if code == "not_split":
        return _("assign chỉ dùng khi một đơn vị được chia cho nhiều đơn vị mới.")
    if code == "yaml":
        return _("Tệp không đúng định dạng YAML.")
    if code == "encoding":
        return _("Tệp phải là văn bản UTF-8.")
    if code == "file_type":
        return _("Tệp sắp xếp phải có đuôi .yaml, .yml hoặc .csv.")
    if code == "csv":
        return _("Tệp không đúng định dạng CSV.")
    if code == "empty":
        return _("Tệp không có dòng đơn vị nào dưới dòng tiêu đề.")
    if code == "too_many_rows":
        return _("Tệp có quá nhiều dòng.")
    if code == "no_column":
        return _("%(field)s: dòng tiêu đề thiếu cột này.", field=label)
    if code == "too_many_cells":
        return _("%(field)s: dòng có nhiều ô hơn dòng tiêu đề.", field=label)
    if code == "differs":
        return _("%(field)s: khác dòng đầu; mọi dòng phải ghi cùng ngày có hiệu lực và cùng "
                 "văn bản.", field=label)
    if code == "unknown_key":
        return _("%(field)s: không có mục này trong tệp sắp xếp.", field=label)
    return _("%(field)s: không hợp lệ.", field=label)


def _day(iso) -> str:
    """An ISO date as officials write it (dd/mm/yyyy); empty when there is none."""
    from datetime import date

    try:
        return date.fromisoformat(iso).strftime("%d/%m/%Y")
    except (TypeError, ValueError):
        return ""


def _unit_code_taken(unit: dict) -> str:
    """A code already names another unit on some of the days asked for."""
    if unit.get("valid_until"):
        return _("Mã %(code)s là mã của %(name)s đến hết ngày %(end)s: mỗi ngày một mã chỉ thuộc "
                 "một đơn vị, nên mã này chỉ dùng lại được từ ngày hôm sau.",
                 code=unit["code"], name=unit["name"], end=_day(unit["valid_until"]))
    return _("Mã %(code)s đang là mã của %(name)s: mỗi ngày một mã chỉ thuộc một đơn vị, nên mã "
             "này chỉ dùng lại được sau khi đơn vị đó kết thúc.",
             code=unit["code"], name=unit["name"])


def reasons(error: Invalid) -> list[str]:
    items = error.details if isinstance(error.details, list) else []
    return [reason(item) for item in items if isinstance(item, dict)] or [
        _("Dữ liệu chưa hợp lệ.")]


def describe(error: CertifyError) -> list[str]:
    """What to tell the user about any service error."""
    if isinstance(error, Invalid):
        return reasons(error)
    if isinstance(error, Stale):
        return [_("Hồ sơ vừa được người khác thay đổi. Hãy xem lại rồi thử lại.")]
    if isinstance(error, TransitionNotAllowed):
        return [_("Thao tác này không thực hiện được ở trạng thái hiện tại của hồ sơ.")]
    if isinstance(error, Duplicate):
        filed_by = error.details.get("filed_by") if isinstance(error.details, dict) else None
        if filed_by == "organization":
            return [_("Người này đã có hồ sơ đang xử lý cho danh hiệu và năm này, do cơ quan, "
                      "đơn vị nơi họ là thành viên lập. Mỗi người chỉ có một hồ sơ mỗi năm.")]
        if filed_by == "household":
            return [_("Người này đã có hồ sơ đang xử lý cho danh hiệu và năm này, do hộ gia đình "
                      "lập. Mỗi người chỉ có một hồ sơ mỗi năm.")]
        return [_("Người này đã có hồ sơ đang xử lý cho danh hiệu và năm này.")]
    if isinstance(error, Forbidden) and isinstance(error.details, list):
        return reasons(error)  # a refusal with its reasons, e.g. a wrong current password
    if isinstance(error, Forbidden):
        return [_("Tài khoản của bạn không được phép thực hiện thao tác này.")]
    if isinstance(error, NotFound):
        return [_("Không tìm thấy.")]
    if isinstance(error, BadRequest):
        return [_("Yêu cầu không đúng định dạng: nội dung không phải JSON hoặc có trường sai kiểu.")]
    if isinstance(error, Unauthorized):
        return [_("Chưa đăng nhập, hoặc thông tin đăng nhập sai, hết hạn hay đã bị thu hồi.")]
    if isinstance(error, RateLimited):
        return [_("Thử quá nhiều lần. Hãy đợi rồi thử lại.")]
    if isinstance(error, MethodNotAllowed):
        return [_("Phương thức không được hỗ trợ cho địa chỉ này.")]
    if isinstance(error, Conflict):
        return [_("Hồ sơ vừa được người khác thay đổi. Hãy xem lại rồi thử lại.")]
    if isinstance(error, TooLarge):
        return [_("Nội dung gửi lên quá lớn; chưa có gì bị thay đổi.")]
    if isinstance(error, Busy):
        return [_("Hệ thống đang bận; chưa có gì bị thay đổi. Hãy thử lại sau ít giây.")]
    if type(error) is CertifyError or error.status >= 500:
        return [_("Có lỗi ở phía máy chủ; chưa có gì bị thay đổi.")]
    return [_("Không thực hiện được yêu cầu.")]


def summary(error: CertifyError) -> str:
    """One sentence for the whole error (the API's `message`)."""
    if isinstance(error, Invalid):
        return _("Dữ liệu chưa hợp lệ.")
    return describe(error)[0]


def localized_details(details):
    """The error's details with each reason's `message` in the reader's language."""
    if not isinstance(details, list):
        return details
    return [{**item, "message": reason(item)} if isinstance(item, dict) and "code" in item
            and "field" in item else item for item in details]
