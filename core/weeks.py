"""ISO weeks (Monday to Sunday, `2026-W48`) in local time, as weekly reports count them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

_ISO_WEEK = re.compile(r"(\d{4})-W(\d{2})")


@dataclass(frozen=True, order=True)
class IsoWeek:
    year: int
    week: int

    def __post_init__(self):
        date.fromisocalendar(self.year, self.week, 1)  # ValueError for week 0, 54, …

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """`2026-W48` → IsoWeek(2026, 48); ValueError for anything else."""
        match = _ISO_WEEK.fullmatch(text.strip())
        if not match:
            raise ValueError(f"{text!r} is not an ISO week like 2026-W48")
        try:
            return cls(int(match[1]), int(match[2]))
        except ValueError:
            raise ValueError(f"{match[1]} has no week {match[2]}") from None

    @classmethod
    def of(cls, day: date) -> IsoWeek:
        year, week, _ = day.isocalendar()
        return cls(year, week)

    @classmethod
    def last_complete(cls, today: date | None = None) -> IsoWeek:
        """The latest week whose Sunday is over."""
        return cls.of((today or timezone.localdate()) - timedelta(days=7))

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def since(self) -> datetime:
        """Monday 00:00 in the current time zone."""
        return datetime.combine(self.monday, time.min, tzinfo=timezone.get_current_timezone())

    @property
    def until(self) -> datetime:
        """The next Monday 00:00 (exclusive)."""
        return self.since + timedelta(days=7)

    def is_over(self, today: date | None = None) -> bool:
        return self.sunday < (today or timezone.localdate())

    def label(self) -> str:
        """`23–29 Nov 2026`, `30 Nov – 6 Dec 2026`."""
        start, end = self.monday, self.sunday
        if start.month == end.month:
            return f"{start.day}–{end:%-d %b %Y}"
        if start.year == end.year:
            return f"{start:%-d %b} – {end:%-d %b %Y}"
        return f"{start:%-d %b %Y} – {end:%-d %b %Y}"
