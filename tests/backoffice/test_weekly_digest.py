"""The weekly digest: each client who wants it gets one e-mail a week with their orders, the
week's figures and invoices (offers only for those who asked for them); nobody gets it twice,
whoever runs it how often; staff get the merchandising review."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.models import Schedule

from backoffice.digests import digests_send, staff_digests_send
from backoffice.digests.staff import staff_review
from backoffice.management.commands.setup_schedules import SCHEDULES
from catalog.models import SearchEvent
from checkout.models import CheckoutSession
from core.models import OutgoingEmail
from core.outbox import emails_send_due
from core.weeks import IsoWeek
from experiments.models import BundleProposal
from experiments.services import exposures_record
from orders.models import OrderStatus
from tests.backoffice.factories import bulk_clients, busy_client, in_week
from tests.billing.factories import order_for, session_for
from tests.catalog.factories import CampaignFactory, ProductFactory
from tests.checkout.factories import user
from tests.experiments.factories import running

pytestmark = pytest.mark.django_db

WEEK = IsoWeek.last_complete()


def digest_of(owner) -> OutgoingEmail:
    return OutgoingEmail.objects.get(key=f"weekly_digest:{owner.pk}:{WEEK}")


def run_command(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("send_weekly_digest", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_an_opted_in_client_gets_their_orders_progress_figures_and_invoices(settings):
    settings.SITE_URL = "https://smplat.example"
    ada, order, invoice = busy_client("ada", WEEK)
    run = digests_send(week=WEEK)
    assert (run.queued, run.empty, run.opted_out) == (1, 0, 0)
    email = digest_of(ada)
    assert email.to == "ada@example.com" and email.kind == "weekly_digest"
    assert email.subject == f"Your week at SMPLAT: {WEEK.label()}"
    text = email.body_text
    assert "Orders that moved: 1 (0 completed)" in text
    assert "Steps finished: 1" in text
    assert "Follower change: +250" in text and "@ada: +250" in text
    # The delivery under way: 1 of 2 steps finished, 400 of 1,000 delivered.
    assert f"{order.number}: Active, 70% done (400 of 1000 delivered)" in text
    assert f"https://smplat.example/checkout/orders/{order.number}/" in text
    assert f"{invoice.number} (Order, order {order.number})" in text and "$49.00" in text
    assert "https://smplat.example/dashboard/" in text
    assert "https://smplat.example/dashboard/preferences/" in text
    assert "On offer now" not in text  # marketing is off unless chosen
    html = email.body_html
    assert f'<a href="https://smplat.example/checkout/orders/{order.number}/"' in html
    assert "$49.00" in html and "+250" in html


def test_opted_out_clients_get_nothing_and_marketing_only_goes_to_who_chose_it():
    CampaignFactory(name="Winter sale", badge="Winter sale", products=[ProductFactory()])
    out, _, _ = busy_client("optout", WEEK, weekly_digest=False)
    plain, _, _ = busy_client("plain", WEEK, marketing=False)
    offers, _, _ = busy_client("offers", WEEK, marketing=True)
    defaults, _, _ = busy_client("defaults", WEEK)  # no saved choice: digest on, marketing off
    run = digests_send(week=WEEK)
    assert (run.queued, run.opted_out) == (3, 1)
    assert not OutgoingEmail.objects.filter(to=out.email).exists()
    assert "Winter sale" in digest_of(offers).body_text
    assert "Winter sale" in digest_of(offers).body_html
    for client in (plain, defaults):
        email = digest_of(client)
        assert "On offer now" not in email.body_text and "Winter sale" not in email.body_html
        assert "Orders that moved: 1" in email.body_text  # the digest itself is there


def test_a_client_with_nothing_this_week_gets_no_digest():
    quiet = user("quiet")
    old = order_for(quiet, status=OrderStatus.COMPLETED, paid_at=WEEK.since - timedelta(days=60))
    assert old.pk
    unpaid = user("unpaid")
    order_for(unpaid, status=OrderStatus.PENDING, paid=False)
    run = digests_send(week=WEEK)
    assert (run.seen, run.queued, run.empty) == (2, 0, 2)
    assert not OutgoingEmail.objects.exists()


def test_a_second_run_sends_nothing_twice(fake_smtp):
    busy_client("ada", WEEK)
    busy_client("bob", WEEK)
    first = digests_send(week=WEEK, batch_size=1)
    second = digests_send(week=WEEK, batch_size=1)
    assert (first.queued, first.already_sent) == (2, 0)
    assert (second.queued, second.already_sent) == (0, 2)
    assert OutgoingEmail.objects.filter(kind="weekly_digest").count() == 2
    # The e-mail queue sends them, once.
    emails_send_due()
    emails_send_due()
    assert sorted(m.recipients for m in fake_smtp.accepted) == [
        ("ada@example.com",),
        ("bob@example.com",),
    ]
    [message, _] = fake_smtp.accepted
    parts = {part.get_content_type() for part in message.message.walk()}
    assert {"text/plain", "text/html"} <= parts


def test_another_week_is_another_digest():
    busy_client("ada", WEEK)
    earlier = IsoWeek.of(WEEK.monday - timedelta(days=7))
    busy_client("bob", earlier)
    assert digests_send(week=earlier).queued == 2  # ada's order is under way then too
    assert digests_send(week=WEEK).queued == 2
    assert OutgoingEmail.objects.count() == 4


def test_dry_run_writes_nothing_and_lists_who_would_get_what():
    busy_client("ada", WEEK, marketing=True)
    busy_client("bob", WEEK, weekly_digest=False)
    out, err = run_command("--week", str(WEEK), "--dry-run", "--clients-only")
    assert not OutgoingEmail.objects.exists()
    assert f"would send ada@example.com: Your week at SMPLAT: {WEEK.label()}" in out
    assert "bob@example.com" not in out
    assert "1 to queue" in out and "1 opted out" in out
    assert "batch 1/1: 2/2 weekly_digest recipients" in err


def test_the_command_reports_progress_on_stderr_and_a_summary_on_stdout():
    bulk_clients("c", 5, WEEK)
    out, err = run_command("--week", str(WEEK), "--batch-size", "2", "--clients-only")
    assert err.splitlines() == [
        "weekly_digest batch 1/3: 2/5 weekly_digest recipients, 2 queued, 0 empty, 0 opted out, "
        "0 without an address, 0 already sent",
        "weekly_digest batch 2/3: 4/5 weekly_digest recipients, 4 queued, 0 empty, 0 opted out, "
        "0 without an address, 0 already sent",
        "weekly_digest batch 3/3: 5/5 weekly_digest recipients, 5 queued, 0 empty, 0 opted out, "
        "0 without an address, 0 already sent",
    ]
    assert out.strip() == (
        f"{WEEK}: 5/5 weekly_digest recipients, 5 queued, 0 empty, 0 opted out, "
        "0 without an address, 0 already sent"
    )


@pytest.mark.parametrize(
    ("week", "message"),
    [
        ("garbage", "is not an ISO week"),
        ("2026-W54", "2026 has no week 54"),
        ("2025-W00", "2025 has no week 00"),
        (str(IsoWeek.of(timezone.localdate())), "has not ended yet"),
        (str(IsoWeek.of(timezone.localdate() + timedelta(days=21))), "has not ended yet"),
    ],
)
def test_a_bad_week_is_refused(week, message):
    with pytest.raises(CommandError, match=message):
        run_command("--week", week)
    assert not OutgoingEmail.objects.exists()


def test_a_bad_batch_size_is_refused():
    with pytest.raises(CommandError, match="at least 1"):
        run_command("--batch-size", "0")


def test_a_batch_reads_the_same_number_of_queries_whatever_its_clients_hold(
    django_assert_max_num_queries,
):
    """Two batches of few small clients cost what two batches of more, busier clients cost."""
    bulk_clients("small", 4, WEEK)
    with CaptureQueriesContext(connection) as small:
        assert digests_send(week=WEEK, dry_run=True, batch_size=2).queued == 4
    bulk_clients("large", 16, WEEK, orders_each=6)
    OutgoingEmail.objects.all().delete()
    with CaptureQueriesContext(connection) as large:
        run = digests_send(week=WEEK, dry_run=True, batch_size=10)
    assert (run.batches, run.queued) == (2, 20)
    assert len(small) == len(large)
    # A count, the offers (2), per batch at most 10 reads, and the empty page that ends it.
    assert len(large) <= 1 + 2 + 2 * 10 + 1
    # Queueing adds a fixed number of statements per batch, whatever its size: its
    # transaction (a savepoint inside the test's), one insert, the release and, on
    # PostgreSQL, the e-mail queue's wake-up.
    with django_assert_max_num_queries(len(large) + 4 * 2):
        assert digests_send(week=WEEK, batch_size=10).queued == 20


def test_staff_get_the_merchandising_review(settings):
    settings.SITE_URL = "https://smplat.example"
    staff = user("operator", is_staff=True)
    get_user_model().objects.create_user("nomail", is_staff=True)  # no address
    user("client")
    moment = in_week(WEEK)
    SearchEvent.objects.bulk_create(
        [SearchEvent(query="followers", result_count=12, created_at=moment)] * 3
        + [SearchEvent(query="tiktok likes", result_count=0, created_at=moment)] * 2
        + [SearchEvent(query="last month", result_count=0, created_at=moment - timedelta(days=9))]
    )
    buyer = user("buyer")
    bundled = order_for(buyer, paid_at=moment, total=9_000)
    bundled.lines.create(
        product=ProductFactory(),
        title="Growth",
        configuration={},
        breakdown={"bundle": {"name": "Grow together", "discount": 1_000}},
        quantity=1,
        billing="one_off",
        target="@b",
        currency="USD",
        gross_amount=10_000,
        discount_amount=1_000,
        total_amount=9_000,
    )
    outcomes = (("complete", "paid"), ("expired", "unpaid"), ("open", "unpaid"))
    for attempt, (status, paid) in enumerate(outcomes, start=1):
        session = session_for(bundled, status=status, payment_status=paid, attempt=attempt)
        CheckoutSession.objects.filter(pk=session.pk).update(created_at=moment)
    # Opened this week, after the reviewed one: not counted.
    session_for(bundled, status="complete", payment_status="paid", attempt=4)
    run = staff_digests_send(week=WEEK)
    assert (run.total, run.queued) == (1, 1)
    email = OutgoingEmail.objects.get(key=f"staff_digest:{staff.pk}:{WEEK}")
    text = email.body_text
    assert "Checkout: 3 sessions opened, 1 paid (33%), 1 expired, 0 abandoned." in text
    assert "Grow together: 1 order, $90.00 (saved clients $10.00)" in text
    assert "followers: 3" in text and "tiktok likes: 2" in text and "last month" not in text
    assert "https://smplat.example/dashboard/staff/" in email.body_html
    assert staff_digests_send(week=WEEK).already_sent == 1


def proposal_made(a, b, *, at, **fields) -> BundleProposal:
    proposal = BundleProposal.objects.create(
        **{
            "product_a": a,
            "product_b": b,
            "orders_together": 4,
            "orders_total": 20,
            "support": Decimal("0.2"),
            "confidence_a_b": Decimal("0.5"),
            "confidence_b_a": Decimal("0.8"),
            "lift": Decimal("2.5"),
            "mined_since": at - timedelta(days=90),
            "mined_until": at,
            **fields,
        }
    )
    BundleProposal.objects.filter(pk=proposal.pk).update(created_at=at)
    return proposal


def test_the_review_lists_running_experiments_and_the_weeks_bundle_proposals(
    settings, django_assert_num_queries
):
    settings.SITE_URL = "https://smplat.example"
    staff = user("operator", is_staff=True)
    boost = ProductFactory(title="Insta Boost")
    likes, views = ProductFactory(title="TikTok Likes"), ProductFactory(title="YouTube Views")
    experiment = running(boost, key="boost-hero")
    home = running(key="home-hero")
    control, b = experiment.variants.order_by("sort_order", "pk")
    now = timezone.now()
    exposures_record(
        [(experiment.pk, control.pk, f"visitor:c{i}", now) for i in range(3)]
        + [(experiment.pk, b.pk, "visitor:b1", now)]
    )
    searched = [{"query": "tiktok likes", "searches": 7, "found_nothing": True}]
    proposal_made(boost, likes, at=in_week(WEEK), searches=searched)
    proposal_made(likes, views, at=in_week(WEEK, days=4), status="dismissed")
    proposal_made(boost, views, at=WEEK.since - timedelta(hours=1))  # the week before
    with django_assert_num_queries(10):
        review = staff_review(week=WEEK)
    assert [experiment for experiment, _ in review.experiments] == [experiment, home]
    assert [r.arm.exposures for r in review.experiments[0][1]] == [3, 1]
    assert staff_digests_send(week=WEEK).queued == 1
    text = OutgoingEmail.objects.get(key=f"staff_digest:{staff.pk}:{WEEK}").body_text
    assert "Boost-Hero on Insta Boost, since " in text
    assert "control 3 exposures, 0 conversions; b 1 exposure, 0 conversions" in text
    assert "Home-Hero on the home page" in text
    assert (
        "Insta Boost + TikTok Likes: together in 4 of 20 paid orders, 2.50x chance; "
        "searched: tiktok likes (7, found nothing)"
    ) in text
    assert "TikTok Likes + YouTube Views (dismissed)" in text
    assert "Insta Boost + YouTube Views" not in text
    assert "https://smplat.example/cms-admin/snippets/experiments/bundleproposal/" in text


def test_the_weekly_schedule_runs_last_weeks_digests():
    call_command("setup_schedules", stdout=StringIO())
    schedule = Schedule.objects.get(func="backoffice.tasks.send_weekly_digests")
    assert schedule.schedule_type == Schedule.WEEKLY and schedule.repeats == -1
    local = timezone.localtime(schedule.next_run)
    assert (local.weekday(), local.hour, local.minute) == (0, 7, 0)
    assert timezone.now() < schedule.next_run <= timezone.now() + timedelta(days=7)
    assert "Send the weekly digests" in SCHEDULES
    ada, _, _ = busy_client("ada", WEEK)
    operator = user("operator", is_staff=True)
    assert import_string(schedule.func)() == {"weekly_digest": 1, "staff_digest": 1}
    assert digest_of(ada) and OutgoingEmail.objects.get(key=f"staff_digest:{operator.pk}:{WEEK}")


def test_retry_failed_gives_the_weeks_failed_digests_another_go(fake_smtp):
    ada, _, _ = busy_client("ada", WEEK)
    bob, _, _ = busy_client("bob", WEEK)
    earlier = IsoWeek.of(WEEK.monday - timedelta(days=7))
    digests_send(week=WEEK)
    digests_send(week=earlier)
    OutgoingEmail.objects.update(status="failed", attempts=5, last_error="550 mailbox full")
    OutgoingEmail.objects.filter(key=f"weekly_digest:{bob.pk}:{WEEK}").update(status="sent")
    out, _ = run_command("--week", str(WEEK), "--retry-failed", "--clients-only")
    assert f"{WEEK}: 1 failed weekly_digest e-mails queued again" in out
    assert "0 queued" in out and "2 already sent" in out  # nothing new queued
    email = digest_of(ada)
    assert (email.status, email.attempts, email.last_error) == ("pending", 0, "")
    assert OutgoingEmail.objects.filter(status="failed").count() == 2  # the earlier week's
    emails_send_due()
    assert [m.recipients for m in fake_smtp.accepted] == [("ada@example.com",)]


def test_the_weekly_task_stops_in_time_and_goes_on_from_the_next_client(settings):
    """A run that used up DIGEST_TASK_SECONDS queues its continuation (run at once here:
    tests run django-q2 tasks synchronously), which starts after the last client it did."""
    settings.DIGEST_TASK_SECONDS = 0  # stop after every batch
    clients = bulk_clients("c", 3, WEEK)
    operator = user("operator", is_staff=True)
    task = import_string("backoffice.tasks.send_weekly_digests")
    assert task(batch_size=2) == {"weekly_digest": 2}  # its first batch; the rest follows
    assert {e.to for e in OutgoingEmail.objects.filter(kind="weekly_digest")} == {
        c.email for c in clients
    }
    assert OutgoingEmail.objects.get(kind="staff_digest").to == operator.email
