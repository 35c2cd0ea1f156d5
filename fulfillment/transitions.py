"""The fulfillment task status graph and every action that moves a task along it, as data.

`tasks_move` is the only writer of `FulfillmentTask.status`: the processor (claim, record),
staff actions and order cancellation all go through it, and each row it moves gets a
`TaskEvent`. docs/state-machines.md draws this graph.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from core.bulk import rows_insert

from .models import FINISHED, EventSource, FulfillmentTask, TaskEvent
from .models import TaskStatus as S

TASK_TRANSITIONS: dict[S, frozenset[S]] = {
    S.QUEUED: frozenset({S.QUEUED, S.RUNNING, S.SUCCEEDED, S.SKIPPED, S.CANCELLED}),
    S.RUNNING: frozenset(
        {S.RUNNING, S.QUEUED, S.WAITING_STAFF, S.SUCCEEDED, S.DEAD, S.SKIPPED, S.CANCELLED}
    ),
    S.WAITING_STAFF: frozenset({S.QUEUED, S.SUCCEEDED, S.SKIPPED, S.CANCELLED}),
    S.DEAD: frozenset({S.QUEUED, S.SUCCEEDED, S.SKIPPED, S.CANCELLED}),
    S.SUCCEEDED: frozenset(),
    S.SKIPPED: frozenset(),
    S.CANCELLED: frozenset(),
}


@dataclass(frozen=True)
class TaskAction:
    label: str
    source: EventSource
    from_statuses: frozenset[S]
    to_status: S


_UNFINISHED = frozenset({S.QUEUED, S.RUNNING, S.WAITING_STAFF, S.DEAD})
_P, _STAFF, _SYSTEM = EventSource.PROCESSOR, EventSource.STAFF, EventSource.SYSTEM

TASK_ACTIONS: dict[str, TaskAction] = {
    # The processor.
    "claim": TaskAction("Claim", _P, frozenset({S.QUEUED}), S.RUNNING),
    "reclaim": TaskAction(
        "Take over after an expired lease", _P, frozenset({S.RUNNING}), S.RUNNING
    ),
    "lease_expired": TaskAction(
        "Lease expired on the last attempt", _P, frozenset({S.RUNNING}), S.DEAD
    ),
    "succeed": TaskAction("Succeed", _P, frozenset({S.RUNNING}), S.SUCCEEDED),
    "progress": TaskAction("Progress", _P, frozenset({S.RUNNING}), S.QUEUED),
    "retry": TaskAction("Retry later", _P, frozenset({S.RUNNING}), S.QUEUED),
    "hand_back": TaskAction("Hand back unrun", _P, frozenset({S.RUNNING}), S.QUEUED),
    "wait_for_staff": TaskAction("Wait for staff", _P, frozenset({S.RUNNING}), S.WAITING_STAFF),
    "dead_letter": TaskAction("Dead-letter", _P, frozenset({S.RUNNING}), S.DEAD),
    # Staff, on a task of an order that is not on hold.
    "retry_now": TaskAction(
        "Retry now", _STAFF, frozenset({S.QUEUED, S.DEAD, S.WAITING_STAFF}), S.QUEUED
    ),
    "skip": TaskAction("Skip", _STAFF, _UNFINISHED, S.SKIPPED),
    "force_complete": TaskAction("Force-complete", _STAFF, _UNFINISHED, S.SUCCEEDED),
    # Staff, through releasing an order's hold: its dead letters run again or are dropped.
    "requeue_dead": TaskAction("Re-queue dead letter", _STAFF, frozenset({S.DEAD}), S.QUEUED),
    "skip_dead": TaskAction("Skip dead letter", _STAFF, frozenset({S.DEAD}), S.SKIPPED),
    # The order was cancelled or refunded.
    "cancel": TaskAction("Cancel", _SYSTEM, _UNFINISHED, S.CANCELLED),
}

# What staff may pick for a task in the admin.
STAFF_TASK_ACTIONS = ("retry_now", "skip", "force_complete")


def _check_actions() -> None:
    """An action outside the graph is a typo: fail at import, not in production."""
    for name, action in TASK_ACTIONS.items():
        for status in action.from_statuses:
            if action.to_status not in TASK_TRANSITIONS[status]:
                raise ValueError(
                    f"task action {name}: {status} → {action.to_status} is off the graph"
                )


_check_actions()


def can_transition(from_status: str, to_status: str) -> bool:
    return to_status in TASK_TRANSITIONS.get(from_status, frozenset())


class TaskMoveConflict(RuntimeError):
    """A row changed status under a caller that said it held the lock: a bug, never user input."""


@dataclass(frozen=True)
class Change:
    """Move `task_ids` by `action`, also writing `fields` (the same for every row)."""

    action: str
    task_ids: Collection[int]
    fields: Mapping[str, Any] = field(default_factory=dict)
    reason: str = ""


@dataclass(frozen=True)
class Moved:
    task_id: int
    action: str
    from_status: str
    to_status: str


def tasks_move(
    changes: Iterable[Change],
    *,
    actor=None,
    locked: Mapping[int, str] | None = None,
    now=None,
) -> list[Moved]:
    """Move tasks along the graph and audit each moved row; returns what moved.

    A row moves only if its status is one of the action's from-statuses, and the UPDATE itself
    filters on them, so the database never writes an edge outside the graph. `locked` maps the
    ids the caller already holds `select_for_update` locks on to their status (the processor
    locks while it claims); otherwise the rows are locked here. Queries: one lock, one UPDATE
    per change and one INSERT of all events, however many tasks move.
    """
    changes = [change for change in changes if change.task_ids]
    if not changes:
        return []
    now = now or timezone.now()
    with transaction.atomic(savepoint=False):  # callers inside a transaction pay no savepoint
        if locked is None:
            locked = dict(
                FulfillmentTask.objects.select_for_update(of=("self",))
                .filter(pk__in={pk for change in changes for pk in change.task_ids})
                .order_by("pk")
                .values_list("pk", "status")
            )
        status = dict(locked)
        moved: list[Moved] = []
        events: list[tuple] = []
        actor_id = actor.pk if actor is not None else None
        at = connection.ops.adapt_datetimefield_value(now)
        for change in changes:
            action = TASK_ACTIONS[change.action]
            ids = [pk for pk in change.task_ids if status.get(pk) in action.from_statuses]
            if not ids:
                continue
            written = FulfillmentTask.objects.filter(
                pk__in=ids, status__in=action.from_statuses
            ).update(
                status=action.to_status,
                updated_at=now,
                **{**_landing_fields(action.to_status, now), **change.fields},
            )
            if written != len(ids):
                raise TaskMoveConflict(f"{change.action}: {written} of {len(ids)} rows moved")
            for pk in ids:
                moved.append(Moved(pk, change.action, status[pk], action.to_status))
                events.append(
                    (
                        pk,
                        actor_id,
                        str(action.source),
                        change.action,
                        str(status[pk]),
                        str(action.to_status),
                        change.reason[:500],
                        at,
                    )
                )
                status[pk] = action.to_status
        rows_insert(TaskEvent, _EVENT_COLUMNS, events)
    return moved


_EVENT_COLUMNS = (
    "task_id",
    "actor_id",
    "source",
    "action",
    "from_status",
    "to_status",
    "reason",
    "created_at",
)


def _landing_fields(to_status: str, now) -> dict:
    """What every move into `to_status` implies: only a running task holds a lease, and a
    finished or dead one has an end time."""
    if to_status == S.RUNNING:
        return {}
    fields = {"locked_by": "", "lease_expires_at": None}
    if to_status in FINISHED or to_status == S.DEAD:
        fields["finished_at"] = now
    elif to_status == S.QUEUED:
        fields["finished_at"] = None
    return fields
