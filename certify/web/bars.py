"""Progress bars drawn as SVG on the server: one bar per child unit, with the target marked."""

from __future__ import annotations

from dataclasses import dataclass

from ..services.progress import Progress

ROW, LABEL, WIDTH, BAR = 26, 112, 180, 16


@dataclass
class Bar:
    y: int
    label: str
    ratio: float | None
    width: float
    text: str


def bars(result: Progress, percent) -> dict:
    """Geometry for templates/progress/_bars.html; ratios above 1 are drawn full."""
    rows = []
    for i, f in enumerate(result.children):
        ratio = f.ratio
        width = 0 if ratio is None else min(ratio, 1) * WIDTH
        rows.append(Bar(y=i * ROW, label=f.unit.name, ratio=ratio, width=round(width, 1),
                        text=percent(ratio)))
    target_x = None if result.target is None else LABEL + min(result.target, 1) * WIDTH
    return {"rows": rows, "height": max(len(rows), 1) * ROW + 18, "label": LABEL, "width": WIDTH,
            "bar": BAR, "target_x": target_x, "total_width": LABEL + WIDTH + 50}
