"""A reseller panel that times out, fails or answers garbage never gets an order bought twice.

Through the real processor and panel adapter against `FakePanel` over HTTP. The suite's
promise, fault by fault:

- An `add` whose answer is not one of the panel's documented replies is an unknown outcome:
  it is sent exactly once and the step waits for staff with the reason and what to look for on
  the panel. Already proved exactly, and not repeated here, by
  `tests/fulfillment/test_provider_unknown_outcome.py` (`add` answered HTTP 500 after placing,
  no answer in time after placing, a 200 HTML page, JSON without an order id; staff retry and
  force-complete). Here: the other garbage a panel or its proxy sends (an empty body, plain
  text, JSON of the wrong shape, a 503/504 page, no answer when nothing was placed).
- A `status` poll is harmless to repeat: whatever fault answers it, the step is retried with
  growing backoff, never sends another `add`, and carries on once the panel answers again; a
  fault that outlasts the attempts dead-letters the step and holds the order with a reason
  staff can read. `tests/fulfillment/test_adapters.py` proves one poll timing out and a 503
  until dead; here every kind of garbage, the backoff and the recovery.
- Meanwhile the client's order page, dashboard and progress answer 200 and never show the
  panel's words.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from fulfillment.models import FulfillmentTask
from fulfillment.processor import process_due
from tests.checkout.factories import user
from tests.fulfillment import conftest as fulfillment_fixtures
from tests.fulfillment.factories import paid_order, product_with_plan

pytestmark = pytest.mark.django_db

fake_panel = fulfillment_fixtures.fake_panel  # the fulfillment tests' fixture

TIMEOUT = 0.2  # seconds the adapter waits for the panel: a hung answer costs this much
PANEL_STEP = {
    "name": "Deliver followers",
    "kind": "delivery",
    "adapter": "provider_panel",
    "parameters": {"service": "1", "units": 500, "poll_seconds": 0},
    "max_attempts": 4,
    "backoff_base_seconds": 10,
    "backoff_cap_seconds": 600,
}
# Words of the panel, the adapter or the processor that a client must never read.
INTERNALS = ("Unknown outcome", "provider", "HTTP 5", "not JSON", "Error:", "Traceback")


def hangs(placed):
    return lambda panel: panel.hang_next(processed=placed)


def answers(status, body, *, placed=False):
    return lambda panel: panel.fail_next(status=status, body=body, processed=placed)


# fault on `add` → the reason the step waits for staff with
ADD_FAULTS = {
    "empty-body": (answers(200, "", placed=True), "provider answered something that is not JSON"),
    "plain-text": (answers(200, "OK"), "provider answered something that is not JSON"),
    "json-list": (
        answers(200, [{"order": 23501}], placed=True),
        "provider answered `add` without an order id",
    ),
    "json-nested-order": (
        answers(200, {"order": {"id": 23501}}, placed=True),
        "provider answered `add` without an order id",
    ),
    "json-null": (answers(200, "null"), "provider answered `add` without an order id"),
    "json-true": (answers(200, {"order": True}), "provider answered `add` without an order id"),
    "503-page": (
        answers(503, "<html><h1>503 Service Unavailable</h1></html>"),
        "provider answered HTTP 503",
    ),
    "504-from-proxy-after-placing": (
        answers(504, "<html>Gateway Time-out</html>", placed=True),
        "provider answered HTTP 504",
    ),
    "no-answer-nothing-placed": (hangs(False), f"provider sent no answer within {TIMEOUT:g} s"),
}
# fault on `status` → how the step's error reads
STATUS_FAULTS = {
    "timeout": (hangs(False), f"UnknownOutcome: provider sent no answer within {TIMEOUT:g} s"),
    "500-page": (answers(500, None), "UnknownOutcome: provider answered HTTP 500"),
    "html-page": (
        answers(200, "<html><body>Maintenance</body></html>"),
        "UnknownOutcome: provider answered something that is not JSON",
    ),
    "empty-body": (
        answers(200, ""),
        "UnknownOutcome: provider answered something that is not JSON",
    ),
    "json-list": (
        answers(200, [{"status": "In progress"}]),
        "UnknownOutcome: provider answered `status` with something that is not an order's status",
    ),
    "json-string": (
        answers(200, '"Completed"'),
        "UnknownOutcome: provider answered `status` with something that is not an order's status",
    ),
    "json-without-status": (
        answers(200, {"charge": "0.45"}),
        "RetryableError: unknown provider status None",
    ),
}


@pytest.fixture
def owner():
    return user("panel-client")


@pytest.fixture
def panel(fake_panel, settings):
    settings.PROVIDER_HTTP_TIMEOUT = TIMEOUT
    return fake_panel


def loop():
    """One processor loop with every queued task due (as if the processor had waited)."""
    FulfillmentTask.objects.filter(status="queued").update(
        due_at=timezone.now() - timedelta(seconds=1)
    )
    return process_due(worker="test-worker")


def assert_client_pages_answer(client, owner, order):
    """The owner's order page, dashboard, progress block and progress API: 200, and none of
    the panel's or the processor's words."""
    client.force_login(owner)
    pages = [
        client.get(order.get_absolute_url()),
        client.get(reverse("dashboard:overview")),
        client.get(reverse("dashboard:order-progress", args=[order.number]), HTTP_HX_REQUEST="1"),
        client.get(f"/api/v1/orders/{order.number}/progress"),
    ]
    for response in pages:
        assert response.status_code == 200, response.request["PATH_INFO"]
        body = response.content.decode()
        assert order.number in body
        leaked = [word for word in INTERNALS if word in body]
        assert not leaked, (response.request["PATH_INFO"], leaked)
    client.logout()


@pytest.mark.parametrize("fault", ADD_FAULTS, ids=list(ADD_FAULTS))
def test_an_add_answered_with_garbage_is_sent_once_and_handed_to_staff(client, panel, owner, fault):
    """However often the processor runs, one `add`; the step waits for staff, saying what
    came back and what to look for on the panel; the client's pages still answer."""
    misbehave, reason = ADD_FAULTS[fault]
    misbehave(panel)
    order = paid_order(client, product_with_plan(PANEL_STEP), owner=owner)

    for _ in range(4):
        loop()

    assert len(panel.calls("add")) == 1, "the panel was asked to place the order again"
    task = order.tasks.get()
    assert (task.status, task.remote_id) == ("waiting_staff", "")
    assert task.last_error.startswith(f"Unknown outcome: {reason}")
    assert "it was not sent again" in task.last_error
    assert "service 1, quantity 500, link @target.account" in task.last_error
    order.refresh_from_db()
    assert order.status == "active"  # never completed on a guess
    assert_client_pages_answer(client, owner, order)


@pytest.mark.parametrize("fault", STATUS_FAULTS, ids=list(STATUS_FAULTS))
def test_a_status_poll_answered_with_garbage_backs_off_and_carries_on_when_the_panel_recovers(
    client, panel, owner, fault
):
    """Two faulty polls: each retried later than the one before, the error saying what came
    back, no second `add`; then the panel answers again and the order completes."""
    misbehave, error = STATUS_FAULTS[fault]
    order = paid_order(client, product_with_plan(PANEL_STEP), owner=owner)
    loop()  # placed: order 23501
    task = order.tasks.get()
    assert task.remote_id == "23501"

    waits = []
    for attempt in (1, 2):
        misbehave(panel)
        assert loop().retried == 1
        task.refresh_from_db()
        tried = task.attempt_log.get(run=attempt + 1)
        assert (task.status, task.attempts, tried.outcome) == ("queued", attempt, "retry")
        assert task.last_error.startswith(error), task.last_error
        waits.append((task.due_at - tried.finished_at).total_seconds())
        assert process_due(worker="test-worker").claimed == 0  # nothing is due before then
        assert_client_pages_answer(client, owner, order)
    assert 5 <= waits[0] <= 10 and 10 <= waits[1] <= 20, waits  # base 10 s, doubling, jitter

    for _ in range(4):  # Pending → In progress → Completed
        loop()

    task.refresh_from_db()
    order.refresh_from_db()
    assert (task.status, task.attempts, task.last_error) == ("succeeded", 0, "")
    assert (task.delivered, task.remains) == (500, 0)
    assert order.status == "completed"
    assert len(panel.calls("add")) == 1 and list(panel.orders) == [23501]


@pytest.mark.parametrize("fault", ["json-list", "html-page"])
def test_a_status_fault_that_outlasts_the_attempts_holds_the_order_with_a_readable_reason(
    client, panel, owner, fault
):
    """The step is dead-lettered after its last attempt and the order goes on hold with the
    fault's reason for staff; the client reads that it is delayed, never the reason."""
    misbehave, error = STATUS_FAULTS[fault]
    order = paid_order(client, product_with_plan(PANEL_STEP), owner=owner)
    loop()
    for _ in range(PANEL_STEP["max_attempts"]):
        misbehave(panel)
        loop()

    task = order.tasks.get()
    order.refresh_from_db()
    assert (task.status, task.attempts) == ("dead", PANEL_STEP["max_attempts"])
    assert order.status == "on_hold"
    assert order.history.get(to_status="on_hold").reason == (
        f"Step “Deliver followers” failed: {task.last_error}"
    )
    assert task.last_error.startswith(error)
    assert [c["action"] for c in panel.calls()] == ["add"] + ["status"] * 4
    assert loop().claimed == 0  # a dead letter waits for staff
    assert_client_pages_answer(client, owner, order)
