"""Bundle proposals: pairs of services that paid orders hold together more often than chance,
with the searches that name them, as drafts for staff to accept or dismiss.

`pairs_mine` is the arithmetic (support, confidence, lift) over baskets of product ids, with no
database. `proposals_refresh` is what the weekly job runs: a fixed number of queries whatever
the number of orders, a new proposal per new pair and fresh evidence on those still new; the
unique pair makes a second run, or two at once, propose nothing twice. Nothing here makes an
active bundle: `proposal_decide` is staff's act, and accepting makes an inactive draft.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import combinations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.models import Bundle, BundleItem, Product
from catalog.search.text import STOP_WORDS, stem, words
from catalog.selectors import bundle_rules, search_trending, search_zero_results
from core.audit import AuditTarget, audit_record
from core.models import Via
from orders.models import OrderLine, OrderStatus

from .exceptions import ProposalDecisionInvalid
from .models import BundleProposal

Status = BundleProposal.Status
# A proposal is decided once; what staff decided stays decided.
TRANSITIONS = {Status.NEW: frozenset({Status.ACCEPTED, Status.DISMISSED})}
# Paid once, but the money went back: not a purchase to learn from.
UNDONE = (OrderStatus.CANCELLED, OrderStatus.REFUNDED)
RATE = Decimal("0.0001")
SEARCHES_READ = 50  # of each kind, most frequent first
EVIDENCE = (
    "orders_together",
    "orders_total",
    "support",
    "confidence_a_b",
    "confidence_b_a",
    "lift",
    "mined_since",
    "mined_until",
    "searches",
)


@dataclass(frozen=True)
class PairStats:
    """Two products (a < b) over `orders` baskets."""

    a: int
    b: int
    together: int
    orders: int
    support: Decimal  # together / orders
    confidence_a_b: Decimal  # together / orders with a
    confidence_b_a: Decimal  # together / orders with b
    lift: Decimal  # support / (share with a × share with b); 1 is chance


def _rate(numerator: int, denominator: int) -> Decimal:
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATE, ROUND_HALF_UP)


def pairs_mine(
    baskets: Iterable[Collection[int]], *, min_orders: int, min_lift: Decimal
) -> list[PairStats]:
    """Every pair of products in at least `min_orders` baskets and with a lift above
    `min_lift`, highest lift first. The thresholds are compared exactly, before rounding."""
    orders = 0
    alone: Counter[int] = Counter()
    together: Counter[tuple[int, int]] = Counter()
    for basket in baskets:
        products = sorted(set(basket))
        orders += 1
        alone.update(products)
        together.update(combinations(products, 2))
    found = [
        PairStats(
            a=a,
            b=b,
            together=n,
            orders=orders,
            support=_rate(n, orders),
            confidence_a_b=_rate(n, alone[a]),
            confidence_b_a=_rate(n, alone[b]),
            lift=_rate(n * orders, alone[a] * alone[b]),
        )
        for (a, b), n in together.items()
        # lift > min_lift  ⇔  n × orders > min_lift × count(a) × count(b)
        if n >= min_orders and n * orders > min_lift * alone[a] * alone[b]
    ]
    return sorted(found, key=lambda p: (-p.lift, -p.together, p.a, p.b))


def order_baskets(*, since: datetime, until: datetime) -> list[frozenset[int]]:
    """The products of each order paid in [since, until) and neither cancelled nor refunded
    since: one query."""
    rows = (
        OrderLine.objects.filter(order__paid_at__gte=since, order__paid_at__lt=until)
        .exclude(order__status__in=UNDONE)
        .order_by()
        .values_list("order_id", "product_id")
    )
    baskets: defaultdict[int, set[int]] = defaultdict(set)
    for order_id, product_id in rows.iterator():
        baskets[order_id].add(product_id)
    return [frozenset(products) for products in baskets.values()]


def _stems(text: str) -> set[str]:
    return {stem(word) for word in words(text) if word not in STOP_WORDS}


def searches_naming(titles: Iterable[str], searches: Iterable[dict]) -> list[dict]:
    """The searches sharing a word (by stem) with any of `titles`, as they were given."""
    named = set().union(*(_stems(title) for title in titles))
    return [s for s in searches if _stems(s["query"]) & named]


def _searches(*, since: datetime, until: datetime) -> list[dict]:
    """Trending and zero-result searches of the period, most frequent first: two queries."""
    rows = [
        {"query": row["query"], "searches": row["searches"], "found_nothing": found_nothing}
        for found_nothing, read in ((False, search_trending), (True, search_zero_results))
        for row in read(since=since, until=until, limit=SEARCHES_READ)
    ]
    return sorted(rows, key=lambda s: (-s["searches"], s["query"]))


@dataclass(frozen=True)
class ProposalsRefreshed:
    orders: int  # paid orders mined
    pairs: int  # pairs above the thresholds and in no active bundle
    created: int
    updated: int  # new proposals given fresh evidence


def proposals_refresh() -> ProposalsRefreshed:
    """Mine the paid orders of the last BUNDLE_PROPOSAL_DAYS days: propose each qualifying
    pair not in an active bundle and not proposed before, and refresh the evidence of the
    proposals still new. Accepted and dismissed ones are left as staff left them. The same
    number of queries whatever the number of orders."""
    until = timezone.now()
    since = until - timedelta(days=settings.BUNDLE_PROPOSAL_DAYS)
    baskets = order_baskets(since=since, until=until)
    bundled = [rule.product_ids for rule in bundle_rules()]
    pairs = [
        pair
        for pair in pairs_mine(
            baskets,
            min_orders=settings.BUNDLE_PROPOSAL_MIN_ORDERS,
            min_lift=settings.BUNDLE_PROPOSAL_MIN_LIFT,
        )
        if not any(pair.a in ids and pair.b in ids for ids in bundled)
    ]
    ids = {p.a for p in pairs} | {p.b for p in pairs}
    titles = (
        dict(Product.objects.filter(pk__in=ids, is_active=True).values_list("pk", "title"))
        if ids
        else {}
    )
    pairs = [p for p in pairs if p.a in titles and p.b in titles]  # no inactive service
    created = updated = 0
    if pairs:
        created, updated = _proposals_write(
            pairs, titles, _searches(since=since, until=until), since=since, until=until
        )
    return ProposalsRefreshed(len(baskets), len(pairs), created, updated)


@transaction.atomic
def _proposals_write(
    pairs: list[PairStats],
    titles: dict[int, str],
    searches: list[dict],
    *,
    since: datetime,
    until: datetime,
) -> tuple[int, int]:
    now = timezone.now()

    def evidence(pair: PairStats) -> dict:
        values = (
            pair.together,
            pair.orders,
            pair.support,
            pair.confidence_a_b,
            pair.confidence_b_a,
            pair.lift,
            since,
            until,
            searches_naming((titles[pair.a], titles[pair.b]), searches),
        )
        return dict(zip(EVIDENCE, values, strict=True))

    # Locked, so a proposal staff decide meanwhile is read as decided and left alone.
    existing = {
        (p.product_a_id, p.product_b_id): p
        for p in BundleProposal.objects.select_for_update().filter(
            product_a_id__in={p.a for p in pairs}, product_b_id__in={p.b for p in pairs}
        )
    }
    fresh, stale = [], []
    for pair in pairs:
        proposal = existing.get((pair.a, pair.b))
        if proposal is None:
            fresh.append(BundleProposal(product_a_id=pair.a, product_b_id=pair.b, **evidence(pair)))
        elif proposal.status == Status.NEW:
            for field, value in evidence(pair).items():
                setattr(proposal, field, value)
            proposal.updated_at = now
            stale.append(proposal)
    # A concurrent run's proposal for the same pair wins; the constraint keeps one.
    BundleProposal.objects.bulk_create(fresh, ignore_conflicts=True)
    if stale:
        BundleProposal.objects.bulk_update(stale, [*EVIDENCE, "updated_at"])
    return len(fresh), len(stale)


def proposals_created(*, since: datetime, until: datetime) -> list[BundleProposal]:
    """Proposals made in [since, until), whatever became of them, highest lift first: one
    query."""
    return list(
        BundleProposal.objects.filter(created_at__gte=since, created_at__lt=until)
        .select_related("product_a", "product_b")
        .order_by("-lift", "-orders_together", "pk")
    )


@transaction.atomic
def proposal_decide(*, proposal_id: int, to_status: str, actor) -> BundleProposal:
    """Staff accept a new proposal (an inactive draft bundle of its two services, for them to
    edit and publish in the Bundles snippet) or dismiss it; either is final and audited."""
    proposal = (
        BundleProposal.objects.select_for_update(of=("self",))
        .select_related("product_a", "product_b")
        .get(pk=proposal_id)
    )
    if to_status not in TRANSITIONS.get(proposal.status, frozenset()):
        raise ProposalDecisionInvalid(
            f"This proposal is {proposal.get_status_display().lower()}; "
            f"it cannot become {to_status}."
        )
    if to_status == Status.ACCEPTED:
        proposal.bundle = _draft_bundle(proposal)
    proposal.status = to_status
    proposal.decided_at = timezone.now()
    proposal.decided_by = actor
    proposal.save(update_fields=["status", "bundle", "decided_at", "decided_by", "updated_at"])
    audit_record(
        actor=actor,
        via=Via.ADMIN,
        action=f"bundle_proposal_{to_status}",
        targets=[AuditTarget.of(proposal)],
        detail=f"draft bundle {proposal.bundle_id}" if proposal.bundle_id else "",
    )
    return proposal


def _draft_bundle(proposal: BundleProposal) -> Bundle:
    a, b = proposal.product_a, proposal.product_b
    bundle = Bundle.objects.create(
        headline=f"{a.title} + {b.title}"[:120],
        description=(
            f"Proposed: bought together in {proposal.orders_together} of "
            f"{proposal.orders_total} paid orders, {proposal.lift}× chance."
        ),
        discount_percent=settings.BUNDLE_PROPOSAL_DISCOUNT_PERCENT,
        is_active=False,
    )
    BundleItem.objects.bulk_create(
        [
            BundleItem(bundle=bundle, product=product, sort_order=i)
            for i, product in enumerate((a, b))
        ]
    )
    return bundle
