"""The staff operations view: who may see it, what it shows, and its query budget."""

import pytest
from django.core.cache import caches
from django.utils import timezone

from catalog.models import SearchEvent
from checkout.models import WebhookEvent, WebhookOutcome
from experiments.services import exposures_record
from tests.catalog.factories import ProductFactory
from tests.experiments.factories import running

from .staff_fixtures import STAFF_URL, dead_task, operator, placed_order, user

pytestmark = pytest.mark.django_db

ACTION_URLS = [
    "/dashboard/staff/sessions/{session}/regenerate/",
    "/dashboard/staff/sessions/{session}/expire/",
    "/dashboard/staff/sessions/{session}/resend-link/",
    "/dashboard/staff/tasks/{task}/retry/",
]


def failed_webhook(event_id="evt_broken_1", error="KeyError: 'order_id'"):
    now = timezone.now()
    return WebhookEvent.objects.create(
        event_id=event_id,
        type="checkout.session.completed",
        payload={},
        attempts=3,
        last_seen_at=now,
        outcome=WebhookOutcome.FAILED,
        error=error,
    )


def searches():
    SearchEvent.objects.bulk_create(
        [SearchEvent(query="instagram followers", result_count=4) for _ in range(3)]
        + [SearchEvent(query="snapchat boost", result_count=0) for _ in range(2)]
    )


def test_visitors_are_sent_to_sign_in(client):
    order, session = placed_order()
    task = dead_task()
    for url in [STAFF_URL] + [u.format(session=session.pk, task=task.pk) for u in ACTION_URLS]:
        response = client.get(url) if url == STAFF_URL else client.post(url)
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/?next=")


def test_clients_get_404_for_the_page_and_every_action(client):
    order, session = placed_order()
    task = dead_task()
    client.force_login(user("client"))
    assert client.get(STAFF_URL).status_code == 404
    for url in ACTION_URLS:
        assert client.post(url.format(session=session.pk, task=task.pk)).status_code == 404
    session.refresh_from_db()
    task.refresh_from_db()
    assert (session.status, session.order.checkout_sessions.count(), task.status) == (
        "open",
        1,
        "dead",
    )


def test_staff_see_search_fulfillment_payments_and_webhook_failures(client):
    searches()
    failed_webhook()
    task = dead_task()
    order, session = placed_order()
    client.force_login(operator())
    response = client.get(STAFF_URL)
    assert response.status_code == 200
    page = response.content.decode()
    for text in [
        "<h1>Operations</h1>",
        "instagram followers",  # trending
        "snapchat boost",  # found nothing
        "Needs attention",  # the processor never ran
        task.order.number,
        "Provider refused: link private",
        "evt_broken_1",
        "KeyError: &#x27;order_id&#x27;",
        order.number,
        order.email,
        'aria-current="page">Operations',
    ]:
        assert text in page, text
    # Retry the dead letter; regenerate, expire and resend the open session.
    assert page.count('<form method="post" action="/dashboard/staff/') == 4


def test_staff_without_the_permissions_see_the_page_without_action_buttons(client):
    dead_task()
    placed_order()
    client.force_login(operator(permissions=()))
    page = client.get(STAFF_URL).content.decode()
    assert "Dead-lettered tasks" in page
    assert 'action="/dashboard/staff/' not in page


def _page_queries(client, django_assert_max_num_queries):
    """Queries of the page with cold caches (the footer's site settings are cached apart)."""
    caches["config"].clear()
    with django_assert_max_num_queries(25) as captured:
        assert client.get(STAFF_URL).status_code == 200
    return len(captured)


def test_query_budget_is_the_same_for_a_little_and_a_lot_of_data(
    client, django_assert_max_num_queries
):
    client.force_login(operator())
    placed_order()
    dead_task()
    failed_webhook()
    searches()
    exposed(running(key="first"), 3)
    few = _page_queries(client, django_assert_max_num_queries)
    for i in range(12):
        placed_order()
        failed_webhook(event_id=f"evt_more_{i}")
    for _ in range(3):
        dead_task()
    searches()
    exposed(running(ProductFactory(), key="second"), 40)
    assert _page_queries(client, django_assert_max_num_queries) == few


def exposed(experiment, visitors: int) -> None:
    variants = list(experiment.variants.all())
    now = timezone.now()
    exposures_record(
        [(experiment.pk, variants[n % 2].pk, f"visitor:v{n}", now) for n in range(visitors)]
    )


def test_running_experiments_show_their_results_to_staff(client):
    client.force_login(operator())
    experiment = running(
        ProductFactory(title="Insta Boost"),
        key="pitch",
        variants=(("control", True, 1), ("b", False, 1)),
    )
    exposed(experiment, 10)
    page = client.get(STAFF_URL).content.decode()
    assert "Experiments running" in page and "Pitch" in page and "on Insta Boost" in page
    assert "Sample too small" in page
    assert f"/cms-admin/snippets/experiments/experiment/results/{experiment.pk}/" in page
