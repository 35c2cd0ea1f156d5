"""Pages whose rows carry the total count, so a page costs one query."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet, Window


@dataclass(frozen=True)
class Page:
    items: list
    number: int
    num_pages: int
    count: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


def page_of(queryset: QuerySet, *, number: int, size: int) -> Page:
    """Page `number` (from 1) of an ordered queryset; a page past the end gives the last one.

    Each row is annotated with the total (a window count): one query, and a second one only
    for a page past the end, which reads the last page.
    """
    counted = queryset.annotate(page_total=Window(Count("pk")))
    number = max(number, 1)
    rows = list(counted[(number - 1) * size : number * size])
    if not rows and number > 1:
        tail = list(counted.reverse()[:size])
        if tail:
            count = tail[0].page_total
            number = -(-count // size)
            rows = tail[: count - (number - 1) * size][::-1]
    count = rows[0].page_total if rows else 0
    num_pages = max(1, -(-count // size))
    return Page(items=rows, number=min(number, num_pages), num_pages=num_pages, count=count)
