"""The rules pages: criteria and the transitions of the machine the engine runs."""

from __future__ import annotations


def test_rules_index_lists_every_title(client):
    page = client.get("/rules/").get_data(as_text=True)
    assert "/rules/cong-dan-hoc-tap" in page and "/rules/don-vi-hoc-tap" in page


def test_citizen_rules_show_criteria_pass_rule_and_transitions(client):
    page = client.get("/rules/cong-dan-hoc-tap").get_data(as_text=True)
    assert "Có kế hoạch học tập của bản thân và thực hiện kế hoạch" in page
    assert "tổng từ 80 / 100 điểm" in page and "không chỉ số nào dưới 5 điểm" in page
    # Drawn from the machine: verifying leads from "Đã nộp" to "Đã thẩm định", by the ward.
    assert "Xác nhận đạt" in page and "Cấp thẩm định (Xã, phường)" in page
    assert "Cấp phê duyệt (Huyện, thị xã)" in page
    assert "stateDiagram-v2" in page


def test_unit_rules_show_grades(client):
    page = client.get("/rules/don-vi-hoc-tap").get_data(as_text=True)
    assert "Tốt" in page and "từ 85 điểm" in page


def test_unknown_title_is_not_found(client):
    assert client.get("/rules/no-such-title").status_code == 404


def test_state_diagram_is_drawn_from_the_machine(app, client):
    from certify.workflow import workflows

    page = client.get("/rules/cong-dan-hoc-tap").get_data(as_text=True)
    svg = page.split('<svg class="diagram"')[1].split("</svg>")[0]
    with app.app_context():
        machine = workflows()["cong-dan-hoc-tap"].machine_class
        transitions = sum(len(s.transitions) for s in machine.states)
        names = [s.name for s in machine.states]
    assert svg.count("marker-end") == transitions
    for name in names:
        assert f">{name}</text>" in svg
