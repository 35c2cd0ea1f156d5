"""The fulfillment adapters against fakes of the outside services over real HTTP.

The reseller-panel client and the Instagram adapter run their real `requests` code against
the fakes in `fake_services.py`; the end-to-end tests pay an order through the real checkout
and webhook code and run the processor on it.
"""

import socket
from datetime import timedelta

import pytest
from django.utils import timezone

from fulfillment.adapters import PermanentError, RetryableError, StepContext
from fulfillment.adapters.provider_panel import PanelError, ProviderPanelClient, UnknownOutcome
from fulfillment.adapters.simple import SandboxAdapter
from fulfillment.models import AnalyticsSnapshot, FulfillmentTask, TaskAttempt
from fulfillment.processor import process_due

from .factories import paid_order, product_with_plan

pytestmark = pytest.mark.django_db

TARGET = "@target.account"  # the target every test checkout gives its lines

PANEL_STEP = {
    "name": "Deliver followers",
    "kind": "delivery",
    "adapter": "provider_panel",
    "parameters": {"service": "1", "units_per_quantity": 100, "poll_seconds": 0},
}
INSTAGRAM_STEP = {
    "name": "Instagram snapshot",
    "kind": "analytics",
    "adapter": "instagram",
    "parameters": {},
}


def run():
    """One processor loop, with every queued task made due (as if the processor waited)."""
    FulfillmentTask.objects.filter(status="queued").update(
        due_at=timezone.now() - timedelta(seconds=1)
    )
    return process_due(worker="test-worker")


def run_timed():
    """One loop, returning the clock just before and after it (to check `due_at`)."""
    before = timezone.now()
    run()
    return before, timezone.now()


def panel_order(client, *, quantity=2, parameters=None, **step):
    """A paid order of `quantity` for a product whose plan is one provider-panel step."""
    spec = {**PANEL_STEP, **step}
    spec["parameters"] = {**PANEL_STEP["parameters"], **(parameters or {})}
    return paid_order(client, product_with_plan(spec), quantity=quantity)


def hold_reason(order) -> str:
    return order.history.get(to_status="on_hold").reason


def attempt_outcomes(task) -> list[str]:
    return list(
        TaskAttempt.objects.filter(task=task).order_by("run").values_list("outcome", flat=True)
    )


# The reseller-panel client over HTTP -----------------------------------------------------


@pytest.fixture
def panel_client(fake_panel):
    return ProviderPanelClient(url=fake_panel.url, key=fake_panel.key, timeout=2.0)


def test_every_call_is_a_form_post_with_the_key_and_the_action(fake_panel, panel_client):
    panel_client.balance()
    (request,) = fake_panel.requests
    assert (request.method, request.path) == ("POST", "/api/v2")
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.params == {"key": "panel-test-key", "action": "balance"}


def test_services_lists_what_the_panel_sells(fake_panel, panel_client):
    services = panel_client.services()
    assert [(s["service"], s["min"], s["max"]) for s in services] == [
        (1, "50", "10000"),
        (2, "10", "50000"),
    ]
    assert fake_panel.calls() == [{"key": "panel-test-key", "action": "services"}]


def test_add_posts_service_link_and_quantity_and_returns_the_order_id(fake_panel, panel_client):
    order_id = panel_client.add(
        service="1", link="https://instagram.com/target.account", quantity=250
    )
    assert order_id == "23501"
    assert fake_panel.calls("add") == [
        {
            "key": "panel-test-key",
            "action": "add",
            "service": "1",
            "link": "https://instagram.com/target.account",
            "quantity": "250",
        }
    ]
    placed = fake_panel.orders[23501]
    assert (placed.service, placed.link, placed.quantity) == (
        1,
        "https://instagram.com/target.account",
        250,
    )


def test_status_of_one_order(fake_panel, panel_client):
    order_id = panel_client.add(service="1", link=TARGET, quantity=250)
    assert panel_client.status(order_id) == {
        "charge": "0.22500",
        "start_count": "0",
        "status": "Pending",
        "remains": "250",
        "currency": "USD",
    }
    assert fake_panel.calls("status") == [
        {"key": "panel-test-key", "action": "status", "order": "23501"}
    ]


def test_status_of_many_orders_is_keyed_by_order_id_with_errors_per_order(fake_panel, panel_client):
    fake_panel.script(("In progress", 1_200, 80))
    first = panel_client.add(service="1", link=TARGET, quantity=100)
    second = panel_client.add(service="2", link=TARGET, quantity=500)
    answers = panel_client.statuses([first, second, "999"])
    assert fake_panel.calls("status")[0]["orders"] == "23501,23502,999"
    assert answers == {
        "23501": {
            "charge": "0.09000",
            "start_count": "1200",
            "status": "In progress",
            "remains": "80",
            "currency": "USD",
        },
        "23502": {
            "charge": "0.06000",
            "start_count": "0",
            "status": "Pending",
            "remains": "500",
            "currency": "USD",
        },
        "999": {"error": "Incorrect order ID"},
    }


def test_refill_asks_for_one_order(fake_panel, panel_client):
    order_id = panel_client.add(service="1", link=TARGET, quantity=100)
    assert panel_client.refill(order_id) == {"refill": "235011"}
    assert fake_panel.calls("refill") == [
        {"key": "panel-test-key", "action": "refill", "order": "23501"}
    ]


def test_cancel_takes_many_orders_and_answers_per_order(fake_panel, panel_client):
    order_id = panel_client.add(service="1", link=TARGET, quantity=100)
    assert panel_client.cancel([order_id, "999"]) == [
        {"order": 23501, "cancel": 1},
        {"order": 999, "cancel": {"error": "Incorrect order ID"}},
    ]
    assert fake_panel.calls("cancel")[0]["orders"] == "23501,999"
    assert panel_client.status(order_id)["status"] == "Canceled"


def test_balance_goes_down_by_what_orders_charge(fake_panel, panel_client):
    assert panel_client.balance() == {"balance": "100.00000", "currency": "USD"}
    panel_client.add(service="1", link=TARGET, quantity=1_000)  # 0.90 per 1000
    assert panel_client.balance() == {"balance": "99.10000", "currency": "USD"}


@pytest.mark.parametrize(
    "failure, message, unknown",
    [
        ({"status": 500}, "provider answered HTTP 500", True),
        ({"status": 502}, "provider answered HTTP 502", True),
        ({"status": 200, "body": "<html>Maintenance</html>"}, "not JSON", True),
        (
            {"status": 429, "body": {"error": "Too many requests"}},
            "provider answered HTTP 429",
            False,
        ),
        (
            {"status": 403, "body": "<html>Attention Required! | Cloudflare</html>"},
            "provider refused the request with HTTP 403",
            False,
        ),
    ],
    ids=["500", "502", "200-html", "429", "403-html"],
)
def test_server_failures_are_retryable(fake_panel, panel_client, failure, message, unknown):
    """All retryable; only a clear refusal says the panel did nothing."""
    fake_panel.fail_next(**failure)
    with pytest.raises(RetryableError, match=message) as caught:
        panel_client.balance()
    assert not isinstance(caught.value, PermanentError)
    assert isinstance(caught.value, UnknownOutcome) is unknown


def test_a_panel_that_does_not_answer_in_time_is_an_unknown_outcome(fake_panel):
    fake_panel.hang_next()
    client = ProviderPanelClient(url=fake_panel.url, key=fake_panel.key, timeout=0.2)
    with pytest.raises(UnknownOutcome, match=r"no answer within 0.2 s \(ReadTimeout\)"):
        client.balance()


def test_a_panel_that_refuses_connections_is_retryable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = ProviderPanelClient(url=f"http://127.0.0.1:{port}/api/v2", key="k", timeout=1.0)
    with pytest.raises(RetryableError, match="provider unreachable: ConnectionError") as caught:
        client.balance()
    assert not isinstance(caught.value, UnknownOutcome)  # nothing was sent


def test_an_error_answer_carries_the_panels_message(fake_panel, panel_client):
    with pytest.raises(PermanentError, match="provider: Incorrect service ID"):
        panel_client.add(service="77", link=TARGET, quantity=100)
    with pytest.raises(PanelError, match="provider: Quantity less than minimal 50"):
        panel_client.add(service="1", link=TARGET, quantity=10)
    with pytest.raises(PanelError, match="provider: Incorrect order ID"):
        panel_client.status("424242")


def test_an_add_answer_without_an_order_id_is_an_unknown_outcome(fake_panel, panel_client):
    fake_panel.fail_next(status=200, body={"status": "ok"})
    with pytest.raises(UnknownOutcome, match="answered `add` without an order id"):
        panel_client.add(service="1", link=TARGET, quantity=100)


def test_a_malformed_panel_url_is_a_permanent_error():
    client = ProviderPanelClient(url="127.0.0.1/api/v2", key="k", timeout=1.0)
    with pytest.raises(PermanentError, match="PROVIDER_PANEL_URL is not usable"):
        client.add(service="1", link=TARGET, quantity=100)


@pytest.mark.parametrize("url, key", [("", "k"), ("http://127.0.0.1:9/api/v2", ""), ("", "")])
def test_an_unconfigured_client_is_a_permanent_error(url, key):
    with pytest.raises(PermanentError, match="not configured"):
        ProviderPanelClient(url=url, key=key, timeout=1.0)


# The reseller panel, end to end through the processor ----------------------------------------


def test_first_run_places_the_order_with_service_link_and_quantity_and_keeps_the_remote_id(
    client, fake_panel
):
    order = panel_order(client, quantity=3)
    result = process_due(worker="test-worker")
    assert (result.claimed, result.progressed) == (1, 1)
    assert fake_panel.calls("add") == [
        {
            "key": "panel-test-key",
            "action": "add",
            "service": "1",
            "link": TARGET,
            "quantity": "300",  # 3 × units_per_quantity
        }
    ]
    task = order.tasks.get()
    assert (task.status, task.remote_id, task.quantity, task.delivered, task.remains) == (
        "queued",
        "23501",
        300,
        0,
        300,
    )
    assert task.result == {"status": "Pending"}
    order.refresh_from_db()
    assert order.status == "active"


def test_pending_and_in_progress_keep_the_task_under_way_then_completed_completes_the_order(
    client, fake_panel
):
    fake_panel.script(("Pending", 0, 200), ("In progress", 1_530, 120), ("Completed", 1_530, 0))
    order = panel_order(client)
    run()  # add
    run()  # Pending
    task = order.tasks.get()
    assert (task.status, task.start_count, task.remains, task.delivered) == ("queued", 0, 200, 0)
    assert task.result["status"] == "Pending"

    run()  # In progress
    task.refresh_from_db()
    assert (task.status, task.start_count, task.remains, task.delivered) == (
        "queued",
        1_530,
        120,
        80,
    )
    assert task.result == {"status": "In progress", "charge": "0.18000", "currency": "USD"}
    order.refresh_from_db()
    assert order.status == "active"
    assert fake_panel.calls("status")[-1] == {
        "key": "panel-test-key",
        "action": "status",
        "order": "23501",
    }

    run()  # Completed
    task.refresh_from_db()
    order.refresh_from_db()
    assert (task.status, task.start_count, task.remains, task.delivered) == (
        "succeeded",
        1_530,
        0,
        200,
    )
    assert task.finished_at is not None
    assert order.status == "completed"
    assert order.history.get(to_status="completed").reason == "All steps done"
    assert attempt_outcomes(task) == ["progress", "progress", "progress", "succeeded"]
    assert len(fake_panel.calls("add")) == 1  # polling never places the order again


def test_the_panel_is_polled_after_the_steps_poll_seconds(client, fake_panel):
    order = panel_order(client, parameters={"poll_seconds": 45})
    before, after = run_timed()
    task = order.tasks.get()
    assert before + timedelta(seconds=45) <= task.due_at <= after + timedelta(seconds=45)


def test_poll_seconds_zero_polls_again_on_the_next_loop(client, fake_panel):
    order = panel_order(client)  # poll_seconds 0
    process_due(worker="test-worker")  # add
    result = process_due(worker="test-worker")  # no waiting: the status check is due at once
    assert result.claimed == 1
    assert order.tasks.get().result["status"] == "Pending"


def test_partial_finishes_the_task_with_the_remains_recorded(client, fake_panel):
    fake_panel.script(("In progress", 900, 150), ("Partial", 900, 40))
    order = panel_order(client)
    run()
    run()
    run()
    task = order.tasks.get()
    order.refresh_from_db()
    assert (task.status, task.start_count, task.remains, task.delivered) == (
        "succeeded",
        900,
        40,
        160,
    )
    assert task.result["status"] == "Partial"
    assert order.status == "completed"


def test_an_over_delivery_with_negative_remains_completes(client, fake_panel):
    fake_panel.script(("Completed", 168, -2))
    order = panel_order(client)
    run()
    run()
    task = order.tasks.get()
    order.refresh_from_db()
    assert (task.status, task.remains) == ("succeeded", 0)
    assert task.delivered >= 200
    assert order.status == "completed"


def test_canceled_dead_letters_the_task_and_puts_the_order_on_hold(client, fake_panel):
    fake_panel.script(("In progress", 500, 150), ("Canceled", 500, 150))
    order = panel_order(client)
    run()
    run()
    run()
    task = order.tasks.get()
    order.refresh_from_db()
    assert task.status == "dead"
    assert task.last_error == "PermanentError: The provider canceled order 23501."
    assert order.status == "on_hold"
    assert hold_reason(order) == (
        "Step “Deliver followers” failed: PermanentError: The provider canceled order 23501."
    )
    assert attempt_outcomes(task) == ["progress", "progress", "dead"]
    assert run().claimed == 0  # a dead letter is not picked up again


def test_a_refused_add_retries_with_growing_backoff_and_then_carries_on(client, fake_panel):
    order = panel_order(client)
    fake_panel.fail_next(2, status=429)

    before, after = run_timed()
    task = order.tasks.get()
    assert (task.status, task.attempts, task.remote_id) == ("queued", 1, "")
    assert task.last_error == "RetryableError: provider answered HTTP 429"
    assert before + timedelta(seconds=5) <= task.due_at <= after + timedelta(seconds=10)
    assert process_due(worker="test-worker").claimed == 0  # not due before its backoff

    before, after = run_timed()
    task.refresh_from_db()
    assert task.attempts == 2
    assert before + timedelta(seconds=10) <= task.due_at <= after + timedelta(seconds=20)

    run()
    task.refresh_from_db()
    assert (task.status, task.attempts, task.last_error, task.remote_id) == (
        "queued",
        0,
        "",
        "23501",
    )
    assert len(fake_panel.calls("add")) == 3 and list(fake_panel.orders) == [23501]
    assert attempt_outcomes(task) == ["retry", "retry", "progress"]
    order.refresh_from_db()
    assert order.status == "active"


def test_a_panel_that_keeps_failing_is_dead_lettered_after_max_attempts(client, fake_panel):
    """Status queries are harmless to repeat: an unknown outcome there is retried until the
    attempts run out."""
    order = panel_order(client, max_attempts=3)
    run()  # the order is placed
    fake_panel.fail_next(10, status=503)
    for _ in range(3):
        run()
    task = order.tasks.get()
    order.refresh_from_db()
    assert (task.status, task.attempts, task.remote_id) == ("dead", 3, "23501")
    assert attempt_outcomes(task) == ["progress", "retry", "retry", "dead"]
    assert [c["action"] for c in fake_panel.calls()] == ["add"] + ["status"] * 3
    assert order.status == "on_hold"
    assert hold_reason(order) == (
        "Step “Deliver followers” failed: UnknownOutcome: provider answered HTTP 503"
    )


def test_a_status_check_that_times_out_is_retried(client, fake_panel, settings):
    order = panel_order(client)
    run()
    settings.PROVIDER_HTTP_TIMEOUT = 0.2
    fake_panel.hang_next()
    run()
    task = order.tasks.get()
    assert (task.status, task.attempts, task.remote_id) == ("queued", 1, "23501")
    assert task.last_error == "UnknownOutcome: provider sent no answer within 0.2 s (ReadTimeout)"
    run()
    task.refresh_from_db()
    assert (task.attempts, task.result["status"]) == (0, "Pending")


def test_an_add_whose_answer_was_lost_is_not_placed_twice(client, fake_panel, settings):
    settings.PROVIDER_HTTP_TIMEOUT = 0.2
    fake_panel.hang_next(processed=True)  # the panel places the order, the answer never comes
    order = panel_order(client)
    for _ in range(3):
        run()
    assert len(fake_panel.orders) == 1, "the panel was asked to place the order twice"
    assert order.tasks.get().remote_id in ("", "23501")


@pytest.mark.parametrize("missing", ["PROVIDER_PANEL_URL", "PROVIDER_PANEL_KEY"])
def test_an_unconfigured_panel_dead_letters_with_a_clear_reason(
    client, fake_panel, settings, missing
):
    setattr(settings, missing, "")
    order = panel_order(client)
    process_due(worker="test-worker")
    task = order.tasks.get()
    order.refresh_from_db()
    assert (task.status, task.attempts) == ("dead", 1)
    assert order.status == "on_hold"
    assert hold_reason(order) == (
        "Step “Deliver followers” failed: PermanentError: The provider panel is not "
        "configured (PROVIDER_PANEL_URL/KEY)."
    )
    assert fake_panel.requests == []


def test_a_step_without_a_service_id_dead_letters(client, fake_panel):
    order = panel_order(client, parameters={"service": ""})
    process_due(worker="test-worker")
    order.refresh_from_db()
    assert order.tasks.get().status == "dead"
    assert "no provider `service` id" in hold_reason(order)
    assert fake_panel.requests == []


def test_a_wrong_api_key_dead_letters_at_once_with_the_panels_message(client, fake_panel, settings):
    settings.PROVIDER_PANEL_KEY = "not-the-key"
    order = panel_order(client)
    process_due(worker="test-worker")
    order.refresh_from_db()
    assert order.tasks.get().status == "dead"
    assert order.status == "on_hold"
    assert "Invalid API key" in hold_reason(order)


# Instagram Graph API ------------------------------------------------------------------------


def instagram_order(client, *steps):
    return paid_order(client, product_with_plan(*(steps or [INSTAGRAM_STEP])))


def test_a_snapshot_is_stored_for_today_from_the_account_and_its_insights(client, fake_graph):
    order = instagram_order(client)
    result = process_due(worker="test-worker")
    assert result.succeeded == 1

    snapshot = AnalyticsSnapshot.objects.get(order=order)
    assert snapshot.account == TARGET
    assert snapshot.captured_on == timezone.now().date()
    assert snapshot.source == "instagram"
    assert (snapshot.followers, snapshot.follows, snapshot.media_count) == (15_230, 312, 87)
    # Today's total value of each metric is kept.
    assert (snapshot.reach, snapshot.views, snapshot.profile_views) == (1_234, 2_745, 101)

    user_id, token = "17841400000000001", "IGQWRtest-access-token"
    assert fake_graph.calls(user_id) == [
        {"fields": "username,followers_count,follows_count,media_count", "access_token": token}
    ]
    assert fake_graph.calls(f"{user_id}/insights") == [
        {
            "metric": "reach,views,profile_views",
            "metric_type": "total_value",
            "period": "day",
            "access_token": token,
        }
    ]
    assert all(r.method == "GET" for r in fake_graph.requests)

    task = order.tasks.get()
    order.refresh_from_db()
    assert (task.status, task.result) == ("succeeded", {"username": "target.account"})
    assert order.status == "completed"


def test_the_steps_ig_user_id_is_used_over_the_setting(client, fake_graph, settings):
    settings.INSTAGRAM_USER_ID = ""
    step = {**INSTAGRAM_STEP, "parameters": {"ig_user_id": fake_graph.user_id}}
    order = instagram_order(client, step)
    process_due(worker="test-worker")
    assert AnalyticsSnapshot.objects.get(order=order).followers == 15_230


def test_an_account_graph_does_not_know_dead_letters_with_graphs_message(client, fake_graph):
    step = {**INSTAGRAM_STEP, "parameters": {"ig_user_id": "17841499999999999"}}
    order = instagram_order(client, step)
    process_due(worker="test-worker")
    order.refresh_from_db()
    assert order.tasks.get().status == "dead"
    assert order.status == "on_hold"
    assert "Instagram refused the request: Unsupported get request." in hold_reason(order)


def test_two_snapshots_on_the_same_day_keep_one_row_with_the_latest_figures(client, fake_graph):
    baseline = {**INSTAGRAM_STEP, "name": "Baseline snapshot"}
    final = {**INSTAGRAM_STEP, "name": "Snapshot after delivery", "delay_seconds": 3600}
    order = instagram_order(client, baseline, final)
    process_due(worker="test-worker")  # only the baseline is due
    first = AnalyticsSnapshot.objects.get(order=order)
    assert first.followers == 15_230

    fake_graph.account["followers_count"] = 15_480
    fake_graph.insights["reach"] = (1_234, 1_400)
    run()
    (snapshot,) = AnalyticsSnapshot.objects.filter(order=order)
    assert snapshot.pk == first.pk and snapshot.captured_on == first.captured_on
    assert (snapshot.followers, snapshot.reach) == (15_480, 1_400)
    assert list(order.tasks.values_list("status", flat=True)) == ["succeeded", "succeeded"]
    assert len(fake_graph.calls(fake_graph.user_id)) == 2


@pytest.mark.parametrize("problem", ["expired", "revoked"])
def test_an_expired_or_revoked_token_dead_letters_and_asks_to_reconnect(
    client, fake_graph, settings, problem
):
    if problem == "expired":
        fake_graph.expire_token()
    else:
        settings.INSTAGRAM_ACCESS_TOKEN = "IGQWR-revoked-token"
    order = instagram_order(client)
    process_due(worker="test-worker")
    task = order.tasks.get()
    order.refresh_from_db()
    assert (task.status, task.attempts) == ("dead", 1)
    assert len(fake_graph.requests) == 1  # no retry can help
    assert order.status == "on_hold"
    reason = hold_reason(order)
    assert reason.startswith(
        "Step “Instagram snapshot” failed: PermanentError: The Instagram access token expired "
        "or was revoked; reconnect the account."
    )
    assert ("Session has expired" if problem == "expired" else "Invalid OAuth") in reason
    assert not AnalyticsSnapshot.objects.exists()


@pytest.mark.parametrize("code, status", [(4, 400), (17, 400), (32, 403), (613, 403)])
def test_rate_limits_retry_with_backoff(client, fake_graph, code, status):
    order = instagram_order(client)
    fake_graph.rate_limit_next(code=code, status=status)
    before, after = run_timed()
    task = order.tasks.get()
    assert (task.status, task.attempts) == ("queued", 1)
    assert task.last_error.startswith(f"RetryableError: Instagram rate limit: (#{code})")
    assert before + timedelta(seconds=5) <= task.due_at <= after + timedelta(seconds=10)
    assert not AnalyticsSnapshot.objects.exists()
    order.refresh_from_db()
    assert order.status != "on_hold"

    run()
    task.refresh_from_db()
    assert (task.status, task.attempts, task.last_error) == ("succeeded", 0, "")
    assert AnalyticsSnapshot.objects.get(order=order).followers == 15_230


def test_a_rate_limit_with_retry_after_waits_that_long(client, fake_graph):
    order = instagram_order(client)
    fake_graph.rate_limit_next(code=4, retry_after=900)
    before, after = run_timed()
    task = order.tasks.get()
    assert task.status == "queued"
    assert before + timedelta(seconds=900) <= task.due_at <= after + timedelta(seconds=900)


def test_a_rate_limit_on_the_insights_call_retries_the_whole_snapshot(client, fake_graph):
    order = instagram_order(client)
    fake_graph.rate_limit_next(code=17, on="insights")
    run()
    task = order.tasks.get()
    assert (task.status, task.attempts) == ("queued", 1)
    assert len(fake_graph.calls(fake_graph.user_id)) == 1  # the account call had answered
    assert not AnalyticsSnapshot.objects.exists()  # half a snapshot is not stored

    fake_graph.account["followers_count"] = 15_300
    run()
    assert AnalyticsSnapshot.objects.get(order=order).followers == 15_300


def test_graph_server_errors_retry(client, fake_graph):
    order = instagram_order(client)
    fake_graph.fail_next(status=500)
    run()
    task = order.tasks.get()
    assert (task.status, task.attempts) == ("queued", 1)
    assert "An unexpected error has occurred" in task.last_error
    run()
    task.refresh_from_db()
    assert task.status == "succeeded"


def test_a_missing_token_dead_letters_with_a_clear_reason(client, fake_graph, settings):
    settings.INSTAGRAM_ACCESS_TOKEN = ""
    order = instagram_order(client)
    process_due(worker="test-worker")
    order.refresh_from_db()
    assert order.tasks.get().status == "dead"
    assert order.status == "on_hold"
    assert hold_reason(order) == (
        "Step “Instagram snapshot” failed: PermanentError: No Instagram access token is "
        "configured (INSTAGRAM_ACCESS_TOKEN)."
    )
    assert fake_graph.requests == []


def test_a_missing_user_id_dead_letters_with_a_clear_reason(client, fake_graph, settings):
    settings.INSTAGRAM_USER_ID = ""
    order = instagram_order(client)
    process_due(worker="test-worker")
    order.refresh_from_db()
    assert order.tasks.get().status == "dead"
    assert "No Instagram user id for this account (ig_user_id)." in hold_reason(order)
    assert fake_graph.requests == []


# The sandbox -----------------------------------------------------------------------------------

SANDBOX_DELIVERY = {
    "name": "Deliver (sandbox)",
    "kind": "delivery",
    "adapter": "sandbox",
    "parameters": {"units": 400, "progress_steps": 4},
}
SANDBOX_ANALYTICS = {
    "name": "Snapshot (sandbox)",
    "kind": "analytics",
    "adapter": "sandbox",
    "parameters": {"analytics": True},
}


def _context(target: str, **kwargs) -> StepContext:
    return StepContext(
        task_id=1,
        order_number="T-1",
        run=1,
        idempotency_key="task-1-run-1",
        target=target,
        quantity=1,
        parameters={"units": 100},
        **kwargs,
    )


def test_the_sandbox_is_deterministic_per_target(client):
    product = product_with_plan(SANDBOX_DELIVERY, SANDBOX_ANALYTICS)
    first, second = paid_order(client, product), paid_order(client, product)
    process_due(worker="test-worker")
    starts = [o.tasks.get(kind="delivery").start_count for o in (first, second)]
    assert starts[0] == starts[1] and 1_000 <= starts[0] < 10_000
    figures = [
        AnalyticsSnapshot.objects.filter(order=o).values(
            "account", "followers", "follows", "media_count", "reach", "views"
        )[0]
        for o in (first, second)
    ]
    assert figures[0] == figures[1]
    assert figures[0]["followers"] == SandboxAdapter.snapshot(TARGET).followers

    adapter = SandboxAdapter()
    mine = adapter.run(_context(TARGET)).progress["start_count"]
    other = adapter.run(_context("@someone.else")).progress["start_count"]
    assert mine == starts[0] and other != mine


def test_the_sandbox_delivers_in_progress_steps_runs_to_completed(client, settings):
    settings.SANDBOX_POLL_SECONDS = 30
    order = paid_order(client, product_with_plan(SANDBOX_DELIVERY))
    seen = []
    for _ in range(6):
        before, after = run_timed()
        task = order.tasks.get()
        seen.append((task.status, task.delivered, task.remains, task.result["status"]))
        if task.status == "queued":
            assert before + timedelta(seconds=30) <= task.due_at <= after + timedelta(seconds=30)
    assert seen[:5] == [
        ("queued", 0, 400, "Pending"),
        ("queued", 100, 300, "In progress"),
        ("queued", 200, 200, "In progress"),
        ("queued", 300, 100, "In progress"),
        ("succeeded", 400, 0, "Completed"),
    ]
    assert seen[5] == seen[4]  # nothing more to run
    assert task.runs == 5
    order.refresh_from_db()
    assert order.status == "completed"
