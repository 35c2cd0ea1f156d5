"""The staff operations view (`/dashboard/staff/`) and its quick actions.

Staff only: a client gets 404 (as for any page that is not theirs), a visitor the sign-in
page. Each action is a POST (CSRF-checked) that needs the model permission the admin asks
for, calls the same service as the admin and the API (which audit it), and comes back to
the page with a message saying what happened or why nothing did.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from catalog.selectors import search_trending, search_zero_results
from checkout.models import CheckoutSession
from checkout.selectors import payment_observability, sessions_awaiting_payment
from checkout.services import payment_link_resend, session_expire, session_regenerate
from cms.experiment_admin import results_url
from core.api import base_url
from core.audit import audit_recent
from core.exceptions import ApplicationError
from core.models import Via
from experiments.selectors import experiments_results, experiments_running_list, sample_enough
from fulfillment.models import FulfillmentTask, TaskStatus
from fulfillment.selectors import processor_health, tasks_dead_list
from fulfillment.services import task_retry_dead

SESSION_PERMISSION = "checkout.change_checkoutsession"
TASK_PERMISSION = "fulfillment.change_fulfillmenttask"


def staff_required(view):
    """Signed-in staff only: visitors go to sign in, clients get 404."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_staff:
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return wrapper


@staff_required
@require_GET
def index(request):
    healthy, reasons, metrics = processor_health()
    payments = payment_observability(failures=10)
    failures = [
        {**failure, "last_seen_at": datetime.fromisoformat(failure["last_seen_at"])}
        for failure in payments["webhooks"]["failures"]
    ]
    experiments = experiments_running_list()
    results = experiments_results(experiments=experiments)
    return render(
        request,
        "dashboard/staff/index.html",
        {
            "experiments": [
                (e, results[e.pk], sample_enough(results[e.pk]), results_url(e.pk))
                for e in experiments
            ],
            "trending": search_trending(days=7, limit=10),
            "zero_results": search_zero_results(days=7, limit=10),
            "healthy": healthy,
            "reasons": reasons,
            "fulfillment": metrics,
            "queue": [(TaskStatus(status).label, n) for status, n in metrics["queue"].items()],
            "oldest_due": _duration(metrics["oldest_due_age_seconds"]),
            "payments": payments,
            "webhook_failures": failures,
            "sessions": sessions_awaiting_payment(limit=20),
            "dead_tasks": tasks_dead_list(limit=20),
            "audit": audit_recent(limit=15),
            "can_act_on_sessions": request.user.has_perm(SESSION_PERMISSION),
            "can_act_on_tasks": request.user.has_perm(TASK_PERMISSION),
        },
    )


def _duration(seconds: float) -> str:
    """An age as staff read it: "40 s", "12 min", "3 h 5 min", "2 d 4 h"."""
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if hours < 1:
        return f"{minutes} min"
    if days < 1:
        return f"{hours} h {minutes % 60} min"
    return f"{days} d {hours % 24} h"


def _quick_action(request, *, permission: str, run: Callable[[], str]):
    """Check the permission, run the service, say how it went, and go back to the page."""
    if not request.user.has_perm(permission):
        raise PermissionDenied("Your account may not do this.")
    try:
        done = run()
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("dashboard:staff")


def _attempt(session: CheckoutSession) -> str:
    return f"{session.order.number} (attempt {session.attempt})"


@staff_required
@require_POST
def session_regenerate_action(request, session_id: int):
    old = get_object_or_404(CheckoutSession.objects.select_related("order"), pk=session_id)

    def run():
        new = session_regenerate(
            session_id=old.pk, base_url=base_url(request), actor=request.user, via=Via.STAFF_VIEW
        )
        return f"New payment page for {_attempt(new)}."

    return _quick_action(request, permission=SESSION_PERMISSION, run=run)


@staff_required
@require_POST
def session_expire_action(request, session_id: int):
    session = get_object_or_404(CheckoutSession.objects.select_related("order"), pk=session_id)

    def run():
        session_expire(session_id=session.pk, actor=request.user, via=Via.STAFF_VIEW)
        return f"Expired the payment page of {_attempt(session)}."

    return _quick_action(request, permission=SESSION_PERMISSION, run=run)


@staff_required
@require_POST
def payment_link_resend_action(request, session_id: int):
    session = get_object_or_404(CheckoutSession.objects.select_related("order"), pk=session_id)

    def run():
        new = payment_link_resend(
            session_id=session.pk,
            base_url=base_url(request),
            actor=request.user,
            via=Via.STAFF_VIEW,
        )
        return f"Payment link for {_attempt(new)} e-mailed to {new.order.email}."

    return _quick_action(request, permission=SESSION_PERMISSION, run=run)


@staff_required
@require_POST
def task_retry_action(request, task_id: int):
    task = get_object_or_404(FulfillmentTask.objects.select_related("order"), pk=task_id)

    def run():
        task_retry_dead(
            task_id=task.pk,
            actor=request.user,
            reason="Retry from the staff view",
            via=Via.STAFF_VIEW,
        )
        return f"“{task.name}” of {task.order.number} runs again now."

    return _quick_action(request, permission=TASK_PERMISSION, run=run)
