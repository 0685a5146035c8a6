"""A unit's holders over time as a small SVG chart drawn on the server (no JavaScript; fits a
360 px screen): one bar per month or quarter end, lighter where the figure is the predecessors'
(before the unit existed), and the ratio as a line where a denominator is known."""

from __future__ import annotations

from dataclasses import dataclass

from ..services.progress import Point

WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 340, 150, 36, 30, 12, 20


@dataclass
class Column:
    x: float
    y: float
    width: float
    height: float
    point: Point
    label: str | None  # the year, under the first point of each year


def chart(points: list[Point]) -> dict:
    """Geometry for templates/progress/_history.html."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = max([p.holders for p in points] + [1])
    slot = plot_w / max(len(points), 1)
    columns, ratio_line, seen_years = [], [], set()
    for i, p in enumerate(points):
        height = p.holders / top * plot_h
        x = LEFT + i * slot
        label = None
        if p.day.year not in seen_years:
            seen_years.add(p.day.year)
            label = str(p.day.year)
        columns.append(Column(x=round(x + slot * 0.15, 1), y=round(TOP + plot_h - height, 1),
                              width=round(slot * 0.7, 1), height=round(height, 1), point=p,
                              label=label))
        if p.ratio is not None:
            y = TOP + plot_h - min(p.ratio, 1) * plot_h
            ratio_line.append(f"{x + slot / 2:.1f},{y:.1f}")
    return {"columns": columns, "ratio": " ".join(ratio_line), "width": WIDTH, "height": HEIGHT,
            "left": LEFT, "right": WIDTH - RIGHT, "top": TOP, "bottom": TOP + plot_h,
            "max": top, "has_ratio": bool(ratio_line),
            "from_predecessors": any(p.from_predecessors for p in points),
            "split": any(p.split for p in points)}
