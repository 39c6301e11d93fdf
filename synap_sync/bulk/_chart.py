"""A bulk run's timeline drawn as an inline SVG chart: no plotting dependency, readable in a notebook,
a browser, or an HTML report file."""

from __future__ import annotations

from html import escape
from typing import List, Optional, Sequence, Tuple

import attrs

WIDTH, PANEL, GAP, LEFT, HEADER = 640, 110, 30, 46, 14
MAX_COLUMNS = 320


@attrs.define
class TimelineSecond:
    """One second of a run: documents settled, requests sent and answered 429, and the pace then."""

    second: int
    succeeded: int = 0
    failed: int = 0
    requests: int = 0
    throttled: int = 0
    #: Requests per second the pace allowed at the end of that second; None while unpaced.
    pace: Optional[float] = None


def _columns(timeline: Sequence[TimelineSecond]) -> Tuple[List[TimelineSecond], int]:
    """At most MAX_COLUMNS columns, each the sum (pace: the last) of ``width`` seconds."""
    width = max(1, -(-len(timeline) // MAX_COLUMNS))
    columns = []
    for start in range(0, len(timeline), width):
        group = timeline[start : start + width]
        paces = [second.pace for second in group if second.pace is not None]
        columns.append(
            TimelineSecond(
                start,
                sum(second.succeeded for second in group),
                sum(second.failed for second in group),
                sum(second.requests for second in group),
                sum(second.throttled for second in group),
                paces[-1] if paces else None,
            )
        )
    return columns, width


def timeline_svg(timeline: Sequence[TimelineSecond]) -> str:
    """Two panels over the run's seconds: documents settled per second (failed on top, in grey), and
    requests per second with those answered 429 in red and the pace as a blue line."""
    if not timeline:
        return ""
    columns, width = _columns(timeline)
    step = (WIDTH - LEFT) / len(columns)
    top_scale = max(max((column.succeeded + column.failed) / width for column in columns), 1.0)
    pace_peak = max((column.pace or 0.0 for column in columns), default=0.0)
    bottom_scale = max(max(column.requests / width for column in columns), pace_peak, 1.0)
    top = HEADER
    bottom = top + PANEL + GAP
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{bottom + PANEL + 16}" '
        'font-family="sans-serif" font-size="10" role="img" aria-label="synap-sync run timeline">',
        _label(2, top - 4, f"documents settled per second (max {top_scale:.0f}): acknowledged green, failed grey"),
        _label(
            2,
            bottom - 4,
            f"requests per second (max {bottom_scale:.0f}): sent blue-grey, answered 429 red, the pace a blue line",
        ),
    ]
    for number, column in enumerate(columns):
        x = LEFT + number * step
        ok = PANEL * column.succeeded / width / top_scale
        failed = PANEL * column.failed / width / top_scale
        sent = PANEL * column.requests / width / bottom_scale
        refused = PANEL * column.throttled / width / bottom_scale
        parts.append(_bar(x, top + PANEL - ok, step, ok, "#2e7d32"))
        parts.append(_bar(x, top + PANEL - ok - failed, step, failed, "#9e9e9e"))
        parts.append(_bar(x, bottom + PANEL - sent, step, sent, "#90a4ae"))
        parts.append(_bar(x, bottom + PANEL - refused, step, refused, "#c62828"))
    points = [
        f"{LEFT + (number + 0.5) * step:.1f},{bottom + PANEL - PANEL * column.pace / bottom_scale:.1f}"
        for number, column in enumerate(columns)
        if column.pace is not None
    ]
    if points:
        parts.append(f'<polyline fill="none" stroke="#1565c0" stroke-width="1.5" points="{" ".join(points)}"/>')
    seconds = len(timeline)
    parts.append(_label(LEFT, bottom + PANEL + 12, "0 s"))
    parts.append(_label(WIDTH - 40, bottom + PANEL + 12, f"{seconds} s"))
    parts.append("</svg>")
    return "".join(part for part in parts if part)


def _bar(x: float, y: float, width: float, height: float, colour: str) -> str:
    if height <= 0:
        return ""
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(width - 0.5, 0.5):.1f}" height="{height:.1f}" fill="{colour}"/>'


def _label(x: float, y: float, text: str) -> str:
    return f'<text x="{x:.0f}" y="{y:.0f}" fill="#333">{escape(text)}</text>'
