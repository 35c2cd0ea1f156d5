"""What a digest run counts, and how one digest is rendered and queued."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from core.outbox import email_queue
from core.weeks import IsoWeek


@dataclass
class DigestRun:
    """The counts of one run over one kind of digest; `planned` lists, in a dry run, who would
    get what."""

    kind: str
    week: IsoWeek
    dry_run: bool
    total: int = 0  # recipients to look at
    batches: int = 0
    batch: int = 0
    seen: int = 0
    queued: int = 0  # in a dry run: would be queued
    empty: int = 0
    opted_out: int = 0
    no_address: int = 0
    already_sent: int = 0
    planned: list[str] = field(default_factory=list)

    def summary(self) -> str:
        queued = "to queue" if self.dry_run else "queued"
        return (
            f"{self.seen:,}/{self.total:,} {self.kind} recipients, {self.queued:,} {queued}, "
            f"{self.empty:,} empty, {self.opted_out:,} opted out, "
            f"{self.no_address:,} without an address, {self.already_sent:,} already sent"
        )

    def progress_line(self) -> str:
        return f"batch {self.batch}/{self.batches}: {self.summary()}"


Progress = Callable[[DigestRun], None]


def site_url(name: str, **kwargs) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(name, kwargs=kwargs or None)


def digest_deliver(
    run: DigestRun, *, key: str, to: str, subject: str, template: str, context: dict, summary: str
) -> None:
    """Render `template` (.txt and .html) and queue it under `key` in its own transaction, or
    in a dry run note who would get it."""
    text = render_to_string(f"{template}.txt", context)
    html = render_to_string(f"{template}.html", context)
    if run.dry_run:
        run.planned.append(f"{to}: {subject} ({summary})")
        run.queued += 1
        return
    # The outbox row is the claim on (recipient, week): another run's row for the same key,
    # committed or about to be, makes this None.
    with transaction.atomic(durable=True):
        email = email_queue(key=key, kind=run.kind, to=to, subject=subject, text=text, html=html)
    if email is None:
        run.already_sent += 1
    else:
        run.queued += 1
