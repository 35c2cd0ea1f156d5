"""Line charts as inline SVG, drawn on the server: no JavaScript, no fonts or files to load.

The same points always give the same bytes (coordinates rounded to one decimal, nothing
random or time-dependent), so pages cache and tests compare exactly. Each chart is an image
to assistive technology (`role="img"` named by its `<title>` and `<desc>`); the page puts the
figures in a table next to it for anyone who needs them as text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from django.utils.safestring import SafeString, mark_safe


@dataclass(frozen=True)
class Point:
    on: date
    value: int | None  # None: not measured that day (a gap in the line)


@dataclass(frozen=True)
class _Frame:
    """Where the plot sits in the SVG and which dates and values its edges stand for."""

    left: float
    top: float
    width: float
    height: float
    first: date
    days: int
    low: int
    high: int

    def x(self, on: date) -> float:
        if not self.days:
            return self.left + self.width / 2
        return self.left + self.width * (on - self.first).days / self.days

    def y(self, value: int) -> float:
        return self.top + self.height * (self.high - value) / (self.high - self.low)


def _frame(points: Sequence[Point], extra: Sequence[int], *, box: tuple) -> _Frame:
    values = [p.value for p in points if p.value is not None] + list(extra)
    low, high = (min(values), max(values)) if values else (0, 1)
    if low == high:  # a flat line sits in the middle
        low, high = low - 1, high + 1
    first, last = points[0].on, points[-1].on
    return _Frame(*box, first=first, days=(last - first).days, low=low, high=high)


def _n(value: float) -> str:
    """A coordinate: one decimal, no trailing zero, never "-0"."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _segments(points: Sequence[Point], frame: _Frame) -> list[str]:
    """Polyline `points` attributes, one per run of measured days."""
    runs, run = [], []
    for point in points:
        if point.value is None:
            if run:
                runs.append(run)
            run = []
        else:
            run.append(f"{_n(frame.x(point.on))},{_n(frame.y(point.value))}")
    if run:
        runs.append(run)
    return [" ".join(r) for r in runs]


def _open(*, chart_id: str, width: int, height: int, title: str, desc: str, css: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>'
    )


def _lines(points: Sequence[Point], frame: _Frame, *, css: str) -> str:
    return "".join(
        f'<polyline class="{css}" fill="none" points="{segment}"/>'
        for segment in _segments(points, frame)
    )


def sparkline(
    *,
    chart_id: str,
    title: str,
    desc: str,
    points: Sequence[Point],
    baseline: int | None = None,
    width: int = 160,
    height: int = 40,
) -> SafeString:
    """A small line of `points` (oldest first), with `baseline` as a dashed line and the
    latest figure marked."""
    if not points:
        raise ValueError("a sparkline needs at least one point")
    extra = [baseline] if baseline is not None else []
    frame = _frame(points, extra, box=(3, 3, width - 6, height - 6))
    parts = [
        _open(
            chart_id=chart_id,
            width=width,
            height=height,
            title=title,
            desc=desc,
            css="chart sparkline",
        )
    ]
    if baseline is not None:
        y = _n(frame.y(baseline))
        parts.append(
            f'<line class="chart-baseline" x1="{_n(frame.left)}" y1="{y}" '
            f'x2="{_n(frame.left + frame.width)}" y2="{y}"/>'
        )
    parts.append(_lines(points, frame, css="chart-line"))
    last = next((p for p in reversed(points) if p.value is not None), None)
    if last is not None:
        parts.append(
            f'<circle class="chart-dot" cx="{_n(frame.x(last.on))}" '
            f'cy="{_n(frame.y(last.value))}" r="2.5"/>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text inside is escaped above


def line_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    points: Sequence[Point],
    baseline: Point | None = None,
    width: int = 640,
    height: int = 260,
) -> SafeString:
    """A labelled chart of `points` (oldest first): the lowest, middle and highest figure on
    the left axis, the first and last dates below, and the baseline (the figure at purchase)
    as a dashed line with its value and a mark on its day."""
    if not points:
        raise ValueError("a chart needs at least one point")
    left, right, top, bottom = 64, 16, 16, 32
    extra = [baseline.value] if baseline is not None and baseline.value is not None else []
    frame = _frame(points, extra, box=(left, top, width - left - right, height - top - bottom))
    parts = [
        _open(
            chart_id=chart_id,
            width=width,
            height=height,
            title=title,
            desc=desc,
            css="chart line-chart",
        )
    ]
    parts.append('<g class="chart-axis" aria-hidden="true">')
    middle = (frame.low + frame.high) // 2
    for value in (frame.high, middle, frame.low):
        y = _n(frame.y(value))
        parts.append(
            f'<line class="chart-grid" x1="{left}" y1="{y}" x2="{_n(left + frame.width)}" '
            f'y2="{y}"/><text x="{left - 8}" y="{y}" text-anchor="end" '
            f'dominant-baseline="middle">{value:,}</text>'
        )
    label_y = _n(top + frame.height + 22)
    parts.append(
        f'<text x="{left}" y="{label_y}" text-anchor="start">{points[0].on:%d %b %Y}</text>'
    )
    if points[-1].on != points[0].on:
        parts.append(
            f'<text x="{_n(left + frame.width)}" y="{label_y}" text-anchor="end">'
            f"{points[-1].on:%d %b %Y}</text>"
        )
    parts.append("</g>")
    if baseline is not None and baseline.value is not None:
        y = _n(frame.y(baseline.value))
        parts.append(
            f'<line class="chart-baseline" x1="{left}" y1="{y}" x2="{_n(left + frame.width)}" '
            f'y2="{y}"/><text class="chart-baseline-label" x="{_n(left + 6)}" '
            f'y="{_n(frame.y(baseline.value) - 6)}" aria-hidden="true">At purchase: '
            f"{baseline.value:,}</text>"
        )
        if points[0].on <= baseline.on <= points[-1].on:
            parts.append(
                f'<circle class="chart-baseline-dot" cx="{_n(frame.x(baseline.on))}" '
                f'cy="{y}" r="4"/>'
            )
    parts.append(_lines(points, frame, css="chart-line"))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text inside is escaped above
