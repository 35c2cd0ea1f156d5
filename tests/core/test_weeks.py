"""ISO weeks as the weekly digest names and counts them."""

from datetime import date

import pytest

from core.weeks import IsoWeek


def test_a_week_runs_from_monday_to_sunday_and_reads_as_its_dates():
    week = IsoWeek.parse("2026-W48")
    assert (week.monday, week.sunday) == (date(2026, 11, 23), date(2026, 11, 29))
    assert str(week) == "2026-W48" and week.label() == "23–29 Nov 2026"
    assert IsoWeek.parse("2026-W49").label() == "30 Nov – 6 Dec 2026"
    assert IsoWeek.parse("2026-W53").label() == "28 Dec 2026 – 3 Jan 2027"
    assert (week.until - week.since).days == 7


def test_the_last_complete_week_is_the_one_whose_sunday_is_over():
    assert IsoWeek.last_complete(date(2026, 11, 30)) == IsoWeek(2026, 48)  # a Monday
    assert IsoWeek.last_complete(date(2026, 11, 29)) == IsoWeek(2026, 47)  # its Sunday
    assert IsoWeek.last_complete(date(2027, 1, 4)) == IsoWeek(2026, 53)
    assert IsoWeek(2026, 48).is_over(date(2026, 11, 30))
    assert not IsoWeek(2026, 48).is_over(date(2026, 11, 29))


@pytest.mark.parametrize("text", ["2026-48", "2026-W4", "W48", "2025-W53", "2026-W00", ""])
def test_anything_else_is_refused(text):
    with pytest.raises(ValueError):
        IsoWeek.parse(text)
