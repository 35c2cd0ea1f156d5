"""Bundle proposals: the job mines paid orders for services bought together, drafts one
proposal per pair with its evidence, runs again without duplicating, and never publishes;
staff accept (an inactive draft bundle) or dismiss."""

import itertools
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.models import Schedule

from catalog.models import Bundle, SearchEvent
from catalog.pricing import Configuration
from core.models import AuditEntry
from experiments.exceptions import ProposalDecisionInvalid
from experiments.models import BundleProposal
from experiments.proposals import PairStats, pairs_mine, proposal_decide, proposals_refresh
from orders.models import OrderLine, OrderStatus
from orders.services import order_mark_paid
from tests.billing.factories import order_for
from tests.catalog.factories import ProductFactory
from tests.checkout.factories import placed_order, user
from tests.dashboard.factories import order_line
from tests.experiments.factories import bundle_of

pytestmark = pytest.mark.django_db
Status = BundleProposal.Status
_references = itertools.count(1)


def paid(*products):
    """An order of `products` placed and paid through the services."""
    order, _ = placed_order(
        products=[(product, Configuration()) for product in products], open_session=False
    )
    order_mark_paid(order_id=order.pk, reference=f"pay-{next(_references)}", source="test")
    return order


def written(buyer, *products, status=OrderStatus.COMPLETED, paid_at=None):
    """An order with a line per product, written directly: for volume, and for histories
    (refunded, long ago) that placing and paying cannot give."""
    order = order_for(buyer, status=status, paid_at=paid_at or timezone.now())
    OrderLine.objects.bulk_create(order_line(order, product) for product in products)
    return order


def bought_together(a, b, other):
    """Three paid orders of `a` and `b`, one of `other` alone: a lift of 4/3."""
    for _ in range(3):
        paid(a, b)
    paid(other)


@pytest.fixture
def services():
    return (
        ProductFactory(title="Instagram Followers"),
        ProductFactory(title="TikTok Likes"),
        ProductFactory(title="YouTube Views"),
    )


@pytest.fixture
def staff():
    return get_user_model().objects.create_superuser("curator", "c@example.com", "pw-12345-x")


def test_support_confidence_and_lift_of_known_baskets():
    # 10 orders: 1 and 2 together in 3, 1 in 5, 2 in 4.
    baskets = [{1, 2}] * 3 + [{1}] * 2 + [{2}] + [{3}] * 4
    assert pairs_mine(baskets, min_orders=3, min_lift=Decimal(1)) == [
        PairStats(
            a=1,
            b=2,
            together=3,
            orders=10,
            support=Decimal("0.3"),  # 3 / 10
            confidence_a_b=Decimal("0.6"),  # 3 / 5
            confidence_b_a=Decimal("0.75"),  # 3 / 4
            lift=Decimal("1.5"),  # 0.3 / (0.5 × 0.4)
        )
    ]
    assert pairs_mine(baskets, min_orders=4, min_lift=Decimal(1)) == []
    assert pairs_mine(baskets, min_orders=3, min_lift=Decimal("1.5")) == []  # above, not at
    assert len(pairs_mine(baskets, min_orders=3, min_lift=Decimal("1.49"))) == 1


def test_a_pair_everyone_buys_together_is_chance_not_a_proposal():
    assert pairs_mine([{1, 2}] * 5, min_orders=3, min_lift=Decimal(1)) == []


def test_rates_round_half_up_to_four_places():
    baskets = [{1, 2}] * 3 + [{1}] * 3 + [{3}] * 3  # 3 of 9; 1 in 6, 2 in 3
    (pair,) = pairs_mine(baskets, min_orders=3, min_lift=Decimal(1))
    assert (pair.support, pair.confidence_a_b, pair.confidence_b_a, pair.lift) == (
        Decimal("0.3333"),
        Decimal("0.5"),
        Decimal("1"),
        Decimal("1.5"),
    )


def test_the_job_on_paid_orders_proposes_the_pair_once_and_never_publishes(services):
    followers, likes, views = services
    for _ in range(3):
        paid(followers, likes)
    paid(views)
    paid(followers, views)  # together once: below the minimum
    buyer = user("refunder")
    for _ in range(3):  # would be a pair, but the money went back
        written(buyer, likes, views, status=OrderStatus.REFUNDED)
        written(buyer, likes, views, status=OrderStatus.CANCELLED)
    moment = timezone.now() - timedelta(days=2)
    SearchEvent.objects.bulk_create(
        [SearchEvent(query="followers", result_count=4, created_at=moment)] * 3
        + [SearchEvent(query="tiktok like packs", result_count=0, created_at=moment)] * 2
        + [SearchEvent(query="youtube", result_count=2, created_at=moment)]
    )

    first = proposals_refresh()
    assert (first.orders, first.pairs, first.created, first.updated) == (5, 1, 1, 0)
    proposal = BundleProposal.objects.get()
    assert (proposal.product_a, proposal.product_b) == (followers, likes)
    assert proposal.status == Status.NEW
    assert (proposal.orders_together, proposal.orders_total) == (3, 5)
    # followers in 4 of 5 orders, likes in 3: 0.6 / (0.8 × 0.6)
    assert (proposal.support, proposal.lift) == (Decimal("0.6"), Decimal("1.25"))
    assert (proposal.confidence_a_b, proposal.confidence_b_a) == (Decimal("0.75"), Decimal(1))
    assert proposal.searches == [
        {"query": "followers", "searches": 3, "found_nothing": False},
        {"query": "tiktok like packs", "searches": 2, "found_nothing": True},
    ]
    assert proposal.mined_until - proposal.mined_since == timedelta(days=90)

    second = proposals_refresh()
    assert (second.created, second.updated) == (0, 1)
    assert BundleProposal.objects.count() == 1
    assert not Bundle.objects.exists()  # the job drafts proposals, never bundles


def test_accepting_makes_one_inactive_draft_bundle_and_the_job_leaves_it_alone(services, staff):
    followers, likes, views = services
    bought_together(followers, likes, views)
    proposals_refresh()
    proposal = BundleProposal.objects.get()

    accepted = proposal_decide(proposal_id=proposal.pk, to_status=Status.ACCEPTED, actor=staff)
    bundle = Bundle.objects.get()
    assert accepted.bundle == bundle and accepted.status == Status.ACCEPTED
    assert not bundle.is_active
    assert bundle.headline == "Instagram Followers + TikTok Likes"
    assert bundle.discount_percent == Decimal("10")
    assert [item.product for item in bundle.items.order_by("sort_order")] == [followers, likes]
    assert (accepted.decided_by, AuditEntry.objects.get().action) == (
        staff,
        "bundle_proposal_accepted",
    )

    paid(followers, likes)  # more evidence: the decided proposal stays as staff left it
    run = proposals_refresh()
    assert (run.pairs, run.created, run.updated) == (1, 0, 0)
    assert BundleProposal.objects.get().orders_together == 3
    assert Bundle.objects.get().is_active is False
    with pytest.raises(ProposalDecisionInvalid):
        proposal_decide(proposal_id=proposal.pk, to_status=Status.DISMISSED, actor=staff)
    assert Bundle.objects.count() == 1


def test_a_dismissed_proposal_is_never_proposed_again(services, staff):
    followers, likes, views = services
    bought_together(followers, likes, views)
    proposals_refresh()
    proposal = BundleProposal.objects.get()
    proposal_decide(proposal_id=proposal.pk, to_status=Status.DISMISSED, actor=staff)
    assert proposals_refresh().created == 0
    assert BundleProposal.objects.get().status == Status.DISMISSED
    assert not Bundle.objects.exists()
    for to_status in (Status.ACCEPTED, Status.NEW, Status.DISMISSED):
        with pytest.raises(ProposalDecisionInvalid):
            proposal_decide(proposal_id=proposal.pk, to_status=to_status, actor=staff)


def test_a_new_proposal_cannot_become_new(services, staff):
    followers, likes, views = services
    bought_together(followers, likes, views)
    proposals_refresh()
    with pytest.raises(ProposalDecisionInvalid):
        proposal_decide(
            proposal_id=BundleProposal.objects.get().pk, to_status=Status.NEW, actor=staff
        )


def test_pairs_already_in_an_active_bundle_and_old_orders_are_skipped(services):
    followers, likes, views = services
    buyer = user("regular")
    bundle_of(followers, likes)
    bundle_of(likes, views, active=False)  # a draft bundle does not count
    long_ago = timezone.now() - timedelta(days=91)
    for _ in range(3):
        written(buyer, followers, likes)
        written(buyer, likes, views)
        written(buyer, followers, views, paid_at=long_ago)
    written(buyer, followers)
    run = proposals_refresh()
    assert (run.orders, run.pairs) == (7, 1)
    proposal = BundleProposal.objects.get()
    assert (proposal.product_a, proposal.product_b) == (likes, views)


def test_the_job_reads_in_the_same_number_of_queries_for_twice_the_orders(
    django_assert_max_num_queries,
):
    buyer = user("volume")
    products = [ProductFactory() for _ in range(8)]
    SearchEvent.objects.create(query=products[0].title.lower(), result_count=1)

    def orders(pairs):
        for a, b in pairs:
            for _ in range(3):
                written(buyer, products[a], products[b])

    orders([(0, 1), (2, 3)])
    # Three reads of orders, bundles and products, two of searches; the write's savepoint,
    # locking read, insert, update and release.
    with django_assert_max_num_queries(10):
        assert proposals_refresh().created == 2
    orders([(4, 5), (6, 7)])  # twice the orders, twice the pairs
    with django_assert_max_num_queries(10):
        run = proposals_refresh()
    assert (run.orders, run.created, run.updated) == (12, 2, 2)


def test_the_command_reports_what_it_proposed(services):
    followers, likes, views = services
    bought_together(followers, likes, views)
    out, err = StringIO(), StringIO()
    call_command("propose_bundles", stdout=out, stderr=err)
    assert "Mining paid orders of the last 90 days" in err.getvalue()
    assert "4 paid order(s), 1 pair(s) worth a bundle: 1 new proposal(s), 0 refreshed." in (
        out.getvalue()
    )


def test_the_weekly_schedule_runs_the_job_before_the_review():
    call_command("setup_schedules", stdout=StringIO())
    schedule = Schedule.objects.get(func="experiments.tasks.propose_bundles")
    assert schedule.schedule_type == Schedule.WEEKLY and schedule.repeats == -1
    local = timezone.localtime(schedule.next_run)
    assert (local.weekday(), local.hour) == (6, 22)  # Sunday night; the review goes on Monday
    assert import_string(schedule.func)() == {"orders": 0, "pairs": 0, "created": 0, "updated": 0}


LIST = "/cms-admin/snippets/experiments/bundleproposal/"


@pytest.fixture
def curator(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def proposal(services):
    followers, likes, views = services
    bought_together(followers, likes, views)
    SearchEvent.objects.create(query="tiktok likes cheap", result_count=0)
    proposals_refresh()
    return BundleProposal.objects.get()


def test_staff_see_the_proposals_with_their_evidence(
    curator, proposal, services, django_assert_max_num_queries
):
    followers, likes, views = services
    bought_together(views, ProductFactory(title="Facebook Page Likes"), followers)
    proposals_refresh()
    with django_assert_max_num_queries(8):  # as many for one proposal as for a page of them
        page = curator.get(LIST).content.decode()
    assert "Instagram Followers + TikTok Likes" in page
    assert "tiktok likes cheap (1, found nothing)" in page
    assert "Accept or dismiss" in page
    assert f"{LIST}add/" not in page  # proposals come from the job only
    assert curator.get(f"{LIST}add/").status_code in (302, 403)


def test_staff_accept_a_proposal_into_an_inactive_draft_bundle(curator, proposal):
    inspect = f"{LIST}inspect/{proposal.pk}/"
    page = curator.get(inspect).content.decode()
    assert "Accept: make a draft bundle" in page and "1.3333" in page
    response = curator.post(inspect, {"decision": "accepted"})
    bundle = Bundle.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/cms-admin/snippets/catalog/bundle/edit/{bundle.pk}/"
    assert not bundle.is_active
    assert curator.get(response["Location"]).status_code == 200
    again = curator.post(inspect, {"decision": "accepted"}, follow=True)
    assert "it cannot become accepted" in again.content.decode()
    assert Bundle.objects.count() == 1


def test_staff_dismiss_a_proposal(curator, proposal):
    inspect = f"{LIST}inspect/{proposal.pk}/"
    assert curator.post(inspect, {"decision": "dismissed"})["Location"] == LIST
    assert BundleProposal.objects.get().status == Status.DISMISSED
    assert "Accept: make a draft bundle" not in curator.get(inspect).content.decode()
    assert curator.post(inspect, {"decision": "published"}, follow=True).status_code == 200
    assert not Bundle.objects.exists()


def test_a_client_cannot_decide(client, proposal):
    client.force_login(user("client"))
    response = client.post(f"{LIST}inspect/{proposal.pk}/", {"decision": "accepted"})
    assert response.status_code in (302, 403)
    assert BundleProposal.objects.get().status == Status.NEW
