"""An Instagram Graph API that rate-limits, then lifts the limit.

Graph says "slow down" four ways: HTTP 429, or error code 4 (application), 17 (user) or 32
(page) in a 400/403 body. Through the real processor and Instagram adapter against `FakeGraph`
over HTTP, with the processor's clock moved instead of sleeping: a rate-limited snapshot backs
off (one Graph call per attempt, none while it waits, however often the processor loops),
nothing is recorded for the day it could not measure (never zero followers), the client's
dashboard keeps showing the last good figures, and once the limit lifts the next due run
stores the day's figures. `tests/fulfillment/test_adapters.py` proves the adapter's reading of
each code and Retry-After; this module proves what the client and the Graph quota see.
"""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from fulfillment.models import AnalyticsSnapshot
from fulfillment.processor import process_due
from tests.checkout.factories import user
from tests.fulfillment import conftest as fulfillment_fixtures
from tests.fulfillment.factories import paid_order, product_with_plan
from tests.fulfillment.test_retries import Clock

pytestmark = pytest.mark.django_db

fake_graph = fulfillment_fixtures.fake_graph  # the fulfillment tests' fixture

DAY = 86_400
SNAPSHOT = {
    "kind": "analytics",
    "adapter": "instagram",
    "max_attempts": 6,
    "backoff_base_seconds": 60,
    "backoff_cap_seconds": 3_600,
}
PLAN = (
    {**SNAPSHOT, "name": "Snapshot at purchase"},
    {**SNAPSHOT, "name": "Snapshot a day later", "delay_seconds": DAY},
)
LIMITED_ATTEMPTS = 3


def http_429(graph, count):
    graph.fail_next(count, status=429, on="account", message="Too many calls")


def graph_code(code, status):
    return lambda graph, count: graph.rate_limit_next(count, code=code, status=status, on="account")


RATE_LIMITS = {
    "http-429": http_429,
    "code-4-in-400": graph_code(4, 400),
    "code-17-in-400": graph_code(17, 400),
    "code-32-in-403": graph_code(32, 403),
}


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def owner():
    return user("graph-client")


def graph_calls(graph) -> int:
    return len(graph.requests)


def dashboard_followers(client) -> str:
    """The followers figure the client's dashboard shows for the order's account."""
    response = client.get(reverse("dashboard:overview"))
    assert response.status_code == 200
    found = re.search(
        r'sparkline-label">Followers</span>\s*<strong class="sparkline-value">([^<]+)<',
        response.content.decode(),
    )
    assert found, "no followers figure on the dashboard"
    return found.group(1)


@pytest.mark.parametrize("limit", RATE_LIMITS, ids=list(RATE_LIMITS))
def test_a_rate_limited_snapshot_backs_off_keeps_the_last_figures_and_succeeds_after(
    client, fake_graph, clock, owner, limit
):
    """Day 0 is measured. On day 1 Graph rate-limits three attempts: each is one call, later
    than the one before, and the processor looping in between calls nothing; the dashboard
    shows day 0's followers and no figure is stored for day 1. Then the limit lifts and the
    next due attempt stores day 1."""
    order = paid_order(client, product_with_plan(*PLAN), owner=owner)
    assert process_due(worker="test-worker").succeeded == 1  # day 0: 15,230 followers
    client.force_login(owner)
    assert dashboard_followers(client) == "15,230"
    later = order.tasks.get(name="Snapshot a day later")

    RATE_LIMITS[limit](fake_graph, LIMITED_ATTEMPTS)
    fake_graph.account["followers_count"] = 15_480
    clock.travel_to(later.due_at)
    calls_before, waits = graph_calls(fake_graph), []
    for attempt in range(1, LIMITED_ATTEMPTS + 1):
        assert process_due(worker="test-worker").retried == 1
        later.refresh_from_db()
        assert later.last_error.startswith("RetryableError: Instagram rate limit"), later.last_error
        tried = later.attempt_log.get(run=attempt)
        waits.append((later.due_at - tried.finished_at).total_seconds())
        # The processor keeps looping until the backoff is over: Graph hears nothing of it.
        for seconds in (1, 10, waits[-1] - 1):
            clock.travel_to(tried.finished_at + timedelta(seconds=seconds))
            assert process_due(worker="test-worker").claimed == 0
        assert graph_calls(fake_graph) - calls_before == attempt  # one account call each
        assert not AnalyticsSnapshot.objects.filter(followers=0).exists()
        assert AnalyticsSnapshot.objects.filter(order=order).count() == 1  # day 0 only
        assert dashboard_followers(client) == "15,230"
        clock.travel_to(later.due_at)
    # Base 60 s doubling, each between half and all of it.
    assert [30 <= waits[0] <= 60, 60 <= waits[1] <= 120, 120 <= waits[2] <= 240] == [True] * 3, (
        waits
    )
    order.refresh_from_db()
    assert order.status == "active"  # never on hold for a rate limit

    assert process_due(worker="test-worker").succeeded == 1  # the limit has lifted

    later.refresh_from_db()
    order.refresh_from_db()
    assert (later.status, later.attempts, later.last_error) == ("succeeded", 0, "")
    assert order.status == "completed"
    day_1 = AnalyticsSnapshot.objects.get(order=order, captured_on=timezone.localdate())
    assert (day_1.followers, day_1.reach) == (15_480, 1_234)
    assert graph_calls(fake_graph) - calls_before == LIMITED_ATTEMPTS + 2  # account + insights
    assert dashboard_followers(client) == "15,480"
    assert "+250 since purchase" in client.get(reverse("dashboard:overview")).content.decode()


def test_an_account_answer_without_followers_is_not_recorded_as_zero(
    client, fake_graph, clock, owner
):
    """Graph answering the account read without `followers_count` (a partial answer under
    throttling or a narrowed permission) is no measurement: retried, nothing stored."""
    order = paid_order(client, product_with_plan(PLAN[0]), owner=owner)
    followers = fake_graph.account.pop("followers_count")

    assert process_due(worker="test-worker").retried == 1

    task = order.tasks.get()
    assert task.last_error == "RetryableError: Instagram answered without followers_count"
    assert not AnalyticsSnapshot.objects.exists()
    fake_graph.account["followers_count"] = followers
    clock.travel_to(task.due_at)
    assert process_due(worker="test-worker").succeeded == 1
    assert AnalyticsSnapshot.objects.get(order=order).followers == 15_230
