"""Small server-rendered SVG bar charts: no JavaScript, no inline styles, values written beside each bar."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 190
BAR_AREA = 300
VALUE_WIDTH = 70


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    display: str
    y: int
    width: int
    text_y: int


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    height: int
    width: int
    label_width: int
    value_x: int


def bar_chart(rows: list[tuple[Any, float]], *, unit: str = "") -> BarChart:
    """rows are (label, value); widths are scaled to the largest value."""
    top = max((float(v) for _label, v in rows), default=0.0) or 1.0
    bars = []
    for i, (label, value) in enumerate(rows):
        y = i * (BAR_HEIGHT + GAP)
        width = round(BAR_AREA * float(value) / top)
        shown = f"{value:g}{unit}" if isinstance(value, float) else f"{value}{unit}"
        bars.append(Bar(label=str(label), value=float(value), display=shown, y=y,
                        width=max(width, 1 if value else 0), text_y=y + BAR_HEIGHT - 6))
    height = max(len(rows) * (BAR_HEIGHT + GAP) - GAP, BAR_HEIGHT)
    return BarChart(bars=bars, height=height, width=LABEL_WIDTH + BAR_AREA + VALUE_WIDTH,
                    label_width=LABEL_WIDTH, value_x=LABEL_WIDTH + BAR_AREA + 6)
