"""The dashboard's charts as HTML and CSS bars (templates/progress/_bars.html, _history.html):
their text is page text, the same size as the page's on a phone and on a desktop, and a label
wraps rather than being clipped. Here only the geometry: each bar's length and the target's
place, in percent of the track."""

from __future__ import annotations

from dataclasses import dataclass

from ..services.progress import Line, PathYear


@dataclass
class Bar:
    label: str
    code: str | None
    ratio: float | None
    holders: int
    width: float  # percent of the track
    target: float | None  # where the target stands, percent of the track
    faded: bool = False  # the figure is the predecessors' (before the unit existed)


def _scale(values: list[float]) -> float:
    """The track's full length: the largest ratio or target, so a small share beside a 40%
    target still shows where both stand (never above 100%)."""
    top = max([v for v in values if v is not None] + [0.0])
    return min(top, 1.0) or 1.0


def _at(value: float | None, scale: float) -> float | None:
    return None if value is None else round(min(value, scale) / scale * 100, 2)


def unit_bars(lines: list[Line]) -> list[Bar]:
    """One bar per child unit: its ratio against the target."""
    scale = _scale([x for line in lines for x in (line.figure.ratio, line.target)])
    return [Bar(line.figure.unit.name, line.figure.unit.code, line.figure.ratio,
                line.figure.holders, _at(line.figure.ratio or 0, scale) or 0,
                _at(line.target, scale)) for line in lines]


def path_bars(years: list[PathYear]) -> tuple[list[Bar], bool]:
    """One bar per year: the ratio against that year's target where denominators are known
    (then True), else the holders against the largest year."""
    by_ratio = any(y.ratio is not None for y in years)
    if by_ratio:
        scale = _scale([x for y in years for x in (y.ratio, y.target)])
        return [Bar(str(y.year), None, y.ratio, y.holders, _at(y.ratio or 0, scale) or 0,
                    _at(y.target, scale), y.from_predecessors) for y in years], True
    top = max([y.holders for y in years] + [1])
    return [Bar(str(y.year), None, None, y.holders, round(y.holders / top * 100, 2), None,
                y.from_predecessors) for y in years], False
