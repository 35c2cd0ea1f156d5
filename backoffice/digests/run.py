"""What a digest run counts, and how one digest is rendered and queued."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from core.outbox import EmailToQueue, emails_queue_many
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
    resume_after: int | None = None  # a run that stopped for time: the last account id done

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


@dataclass(frozen=True)
class Digest:
    email: EmailToQueue
    summary: str  # what it holds, for a dry run's list


def digest_render(
    *, key: str, kind: str, to: str, subject: str, template: str, context: dict, summary: str
) -> Digest:
    """The e-mail from `template`.txt and `template`.html."""
    text = render_to_string(f"{template}.txt", context)
    html = render_to_string(f"{template}.html", context)
    return Digest(EmailToQueue(key, kind, to, subject, text, html), summary)


def digests_queue(run: DigestRun, digests: list[Digest]) -> None:
    """Queue a batch of rendered digests in one short transaction (or, in a dry run, note who
    would get them). Each outbox row is the claim on its (recipient, week): a key another run
    queued, committed or about to be, is left out and counted as already sent."""
    if run.dry_run:
        run.planned += [f"{d.email.to}: {d.email.subject} ({d.summary})" for d in digests]
        run.queued += len(digests)
        return
    with transaction.atomic(durable=True):
        queued = emails_queue_many(emails=[digest.email for digest in digests])
    run.queued += len(queued)
    run.already_sent += len(digests) - len(queued)
