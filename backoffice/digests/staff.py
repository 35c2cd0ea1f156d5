"""The staff merchandising review of a week: what clients searched for (and did not find),
how the bundles sold and how many checkouts were paid. One e-mail per active staff account
with an address; every one is sent, a quiet week being news too."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.selectors import staff_list_with_email
from catalog.selectors import search_trending, search_zero_results
from checkout.selectors import session_counts
from core.weeks import IsoWeek
from orders.selectors import BundleSales, bundle_sales

from .run import DigestRun, Progress, digest_render, digests_queue, site_url

KIND = "staff_digest"
TEMPLATE = "emails/staff_digest"
SEARCHES_SHOWN = 10


@dataclass(frozen=True)
class StaffReview:
    trending: list[dict]  # [{'query': …, 'searches': n}]
    zero_results: list[dict]
    bundles: list[BundleSales]
    sessions: dict  # checkout sessions opened during the week, by outcome

    @property
    def conversion_percent(self) -> int | None:
        """Sessions paid of sessions opened in the week, as a whole percentage."""
        created = self.sessions["created"]
        return round(100 * self.sessions["paid"] / created) if created else None


def staff_review(*, week: IsoWeek) -> StaffReview:
    """Four queries."""
    since, until = week.since, week.until
    return StaffReview(
        trending=search_trending(since=since, until=until, limit=SEARCHES_SHOWN),
        zero_results=search_zero_results(since=since, until=until, limit=SEARCHES_SHOWN),
        bundles=bundle_sales(since=since, until=until),
        sessions=session_counts(since=since, until=until),
    )


def staff_digests_send(
    *, week: IsoWeek, dry_run: bool = False, progress: Progress | None = None
) -> DigestRun:
    """Queue `week`'s review for every staff account with an address."""
    staff = staff_list_with_email()
    run = DigestRun(kind=KIND, week=week, dry_run=dry_run, total=len(staff), batches=1)
    if not staff:
        return run
    review = staff_review(week=week)
    run.batch, run.seen = 1, len(staff)
    digests = [
        digest_render(
            key=f"{KIND}:{member.pk}:{week}",
            kind=KIND,
            to=member.email,
            subject=f"Merchandising review: {week.label()}",
            template=TEMPLATE,
            context={
                "name": member.first_name or member.get_username(),
                "week": week,
                "week_label": week.label(),
                "review": review,
                "staff_url": site_url("dashboard:staff"),
            },
            summary=f"{len(review.trending)} trending, {len(review.zero_results)} zero-result "
            f"searches, {len(review.bundles)} bundles sold",
        )
        for member in staff
    ]
    digests_queue(run, digests)
    if progress:
        progress(run)
    return run
