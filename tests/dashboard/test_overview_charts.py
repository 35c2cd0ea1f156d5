"""Server-drawn SVG charts: the same figures give the same bytes, in any process, and each
chart is a named image for assistive technology."""

import re
import subprocess
import sys
from datetime import date, timedelta

from dashboard.overview.charts import Point, line_chart, sparkline

START = date(2026, 11, 1)


def points(*values):
    return [Point(START + timedelta(days=n), value) for n, value in enumerate(values)]


SERIES = points(1_000, 1_040, None, 1_100, 1_180)

DRAW = """
from datetime import date, timedelta
from dashboard.overview.charts import Point, line_chart, sparkline
days = [Point(date(2026, 11, 1) + timedelta(days=n), v) for n, v in enumerate(
    [1_000, 1_040, None, 1_100, 1_180])]
print(sparkline(chart_id="s", title="Followers", desc="d", points=days, baseline=1_000))
print(line_chart(chart_id="c", title="Followers", desc="d", points=days, baseline=days[0]))
"""


def test_the_same_figures_give_byte_identical_svg_in_another_process():
    here = sparkline(chart_id="s", title="Followers", desc="d", points=SERIES, baseline=1_000)
    chart = line_chart(chart_id="c", title="Followers", desc="d", points=SERIES, baseline=SERIES[0])
    other = subprocess.run(
        [sys.executable, "-c", DRAW], capture_output=True, text=True, check=True
    ).stdout
    assert other == f"{here}\n{chart}\n"
    assert here == sparkline(
        chart_id="s", title="Followers", desc="d", points=list(SERIES), baseline=1_000
    )


def test_a_sparkline_is_exactly_this_svg():
    svg = sparkline(
        chart_id="s",
        title="Views",
        desc="Views rose",
        points=points(0, 50, 100),
        width=106,
        height=46,
        baseline=50,
    )
    assert svg == (
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart sparkline" viewBox="0 0 106 46" '
        'width="106" height="46" role="img" aria-labelledby="s-title s-desc">'
        '<title id="s-title">Views</title><desc id="s-desc">Views rose</desc>'
        '<line class="chart-baseline" x1="3" y1="23" x2="103" y2="23"/>'
        '<polyline class="chart-line" fill="none" points="3,43 53,23 103,3"/>'
        '<circle class="chart-dot" cx="103" cy="3" r="2.5"/></svg>'
    )


def test_charts_are_named_images_with_escaped_text():
    for svg in (
        sparkline(chart_id="a1", title="<b>@x</b>", desc="R&D", points=SERIES),
        line_chart(chart_id="a1", title="<b>@x</b>", desc="R&D", points=SERIES),
    ):
        assert 'role="img" aria-labelledby="a1-title a1-desc"' in svg
        assert '<title id="a1-title">&lt;b&gt;@x&lt;/b&gt;</title>' in svg
        assert '<desc id="a1-desc">R&amp;D</desc>' in svg
        assert "<b>" not in svg


def test_a_missing_day_breaks_the_line_instead_of_inventing_a_figure():
    svg = sparkline(chart_id="g", title="t", desc="d", points=SERIES)
    assert svg.count("<polyline") == 2


def test_the_larger_chart_labels_its_axis_and_the_baseline():
    svg = line_chart(chart_id="c", title="t", desc="d", points=SERIES, baseline=SERIES[0])
    assert "At purchase: 1,000" in svg
    assert "01 Nov 2026" in svg and "05 Nov 2026" in svg
    assert ">1,180<" in svg and ">1,000<" in svg  # highest and lowest on the axis
    assert 'class="chart-baseline-dot"' in svg
    assert 'aria-hidden="true"' in svg  # axis labels are not read twice


def test_a_flat_or_single_point_series_draws_without_dividing_by_zero():
    for series in (points(5, 5, 5), points(7)):
        svg = line_chart(chart_id="f", title="t", desc="d", points=series, baseline=series[0])
        assert not re.search(r"\b(nan|inf)\b", svg)
        assert re.search(r'<polyline class="chart-line" fill="none" points="[0-9., ]+"/>', svg)
