"""The staff merchandising review of a week: what clients searched for (and did not find),
how the bundles sold, how many checkouts were paid, the experiments running and the bundle
proposals the week's job drafted. One e-mail per active staff account with an address;
every one is sent, a quiet week being news too."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.selectors import staff_list_with_email
from catalog.selectors import search_trending, search_zero_results
from checkout.selectors import session_counts
from core.weeks import IsoWeek
from experiments.models import BundleProposal, Experiment
from experiments.proposals import proposals_created
from experiments.selectors import VariantResult, experiments_results, experiments_running_list
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
    # Running as the review is written, with each variant's exposures and conversions.
    experiments: list[tuple[Experiment, list[VariantResult]]]
    proposals: list[BundleProposal]  # drafted during the week

    @property
    def conversion_percent(self) -> int | None:
        """Sessions paid of sessions opened in the week, as a whole percentage."""
        created = self.sessions["created"]
        return round(100 * self.sessions["paid"] / created) if created else None


def staff_review(*, week: IsoWeek) -> StaffReview:
    """Ten queries."""
    since, until = week.since, week.until
    running = experiments_running_list()
    results = experiments_results(experiments=running)
    return StaffReview(
        trending=search_trending(since=since, until=until, limit=SEARCHES_SHOWN),
        zero_results=search_zero_results(since=since, until=until, limit=SEARCHES_SHOWN),
        bundles=bundle_sales(since=since, until=until),
        sessions=session_counts(since=since, until=until),
        experiments=[(experiment, results[experiment.pk]) for experiment in running],
        proposals=proposals_created(since=since, until=until),
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
                "proposals_url": site_url("wagtailsnippets_experiments_bundleproposal:list"),
            },
            summary=f"{len(review.trending)} trending, {len(review.zero_results)} zero-result "
            f"searches, {len(review.bundles)} bundles sold, {len(review.experiments)} "
            f"experiments running, {len(review.proposals)} bundle proposals",
        )
        for member in staff
    ]
    digests_queue(run, digests)
    if progress:
        progress(run)
    return run
