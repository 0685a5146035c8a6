"""`flask units [CODE] [--on YYYY-MM-DD]`: a unit, or the whole tree, as it was on a day.

The command reads through the same services as the pages and the API (`units.find`,
`units.lineage`, `directory.all_units`); it changes nothing.
"""

from __future__ import annotations

from datetime import date

import click

# How a unit was taken over (models.SUCCESSION_KINDS), as the command prints it.
KINDS = {"merge": "sáp nhập", "split": "chia tách", "rename": "đổi tên"}
LEVELS = {"province": "tỉnh", "district": "huyện", "commune": "xã"}


def _day(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "nay (current)"


def _period(unit) -> str:
    return f"{_day(unit.valid_from)} – {_day(unit.valid_until)}"


@click.command("units")
@click.argument("code", required=False)
@click.option("--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The day (YYYY-MM-DD); default today in CERTIFY_TIMEZONE.")
def units_command(code: str | None, on) -> None:
    """Show a unit as it was on a day (its parent, children and lineage), or without CODE the whole
    tree of units valid that day."""
    from . import clock
    from .cli import _require_schema as require_schema
    from .services import directory
    from .services import units as unit_service

    require_schema()
    day = on.date() if on else clock.today()
    if not code:
        tree = directory.all_units(day)
        if not tree:
            click.echo(f"Không có đơn vị nào ngày {_day(day)} (no unit on that day).")
            return
        click.echo(f"Đơn vị hành chính ngày {_day(day)} (units on {day.isoformat()}):")
        for unit in tree:
            depth = len(unit.ancestor_ids()) - 1
            click.echo(f"{'  ' * depth}{unit.code}  {unit.name}  [{_period(unit)}]")
        return
    unit = unit_service.find(code, day)
    if unit is None:
        click.echo(f"Không có đơn vị mã {code} ngày {_day(day)} (no unit {code} on "
                   f"{day.isoformat()}).", err=True)
        raise SystemExit(1)
    links = unit_service.lineage([unit])[unit.id]
    click.echo(f"{unit.code}  {unit.name}  ({LEVELS.get(unit.level, unit.level)})")
    click.echo(f"  hiệu lực (valid): {_period(unit)}")
    click.echo(f"  trực thuộc (parent): "
               + (f"{unit.parent.code} {unit.parent.name}" if unit.parent else "—"))
    children = unit_service.children_on(unit, day)
    click.echo(f"  đơn vị trực thuộc ngày {_day(day)} (children): "
               + (", ".join(f"{c.code} {c.name}" for c in sorted(children, key=lambda c: c.code))
                  or "—"))
    for label, items, other in (("tiền thân (predecessors)", links.predecessors, "predecessor"),
                                ("kế thừa (successors)", links.successors, "successor")):
        for s in items:
            linked = getattr(s, other)
            click.echo(f"  {label}: {linked.code} {linked.name} [{_period(linked)}] — "
                       f"{KINDS.get(s.kind, s.kind)} từ {_day(s.effective)}"
                       + (f" ({s.source})" if s.source else ""))
