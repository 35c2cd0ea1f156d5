"""Queue work kept in our own tables: claim in a short transaction, work outside, record after.

Nothing here holds a transaction or row lock across the network. A claim is a lease: a worker
that dies leaves its rows claimed until the lease runs out, then any worker claims them again,
so such work is done at least once (never lost, rarely twice).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone


def claim_due(
    queryset: QuerySet, *, limit: int, lease_seconds: float, lease_field: str, **changes
) -> list[int]:
    """Claim up to `limit` rows of `queryset` (due work, in claiming order) nobody else holds.

    One short transaction: lock the rows (`SKIP LOCKED`, so workers share the queue without
    waiting for each other; on SQLite the IMMEDIATE transaction serialises claims instead),
    set `lease_field` to the lease's end and apply `changes`. Returns the ids in order. It
    refuses to run inside another transaction, which would keep the locks for its whole length.
    """
    with transaction.atomic(durable=True):
        ids = list(
            queryset.select_for_update(skip_locked=True, of=("self",)).values_list("pk", flat=True)[
                :limit
            ]
        )
        if ids:
            lease_end = timezone.now() + timedelta(seconds=lease_seconds)
            queryset.model._default_manager.filter(pk__in=ids).update(
                **{lease_field: lease_end}, **changes
            )
    return ids


def drain(
    step: Callable[[], int],
    *,
    poll: float,
    seconds: float = 0,
    stop: threading.Event | None = None,
    wake: threading.Event | None = None,
) -> int:
    """Run `step` (one pass over a queue, returning how many items it took) back to back while
    it finds work; when idle, look again every `poll` s, or as soon as `wake` is set, until
    `seconds` have passed or `stop` is set (`seconds=math.inf`: until stopped). Whoever sets
    `stop` while a `wake` is given sets `wake` too, so the wait ends at once. Returns the items
    taken."""
    stop = stop or threading.Event()
    deadline = time.monotonic() + seconds
    total = 0
    while not stop.is_set():
        taken = step()
        total += taken
        if taken:
            continue
        if time.monotonic() >= deadline:
            break
        if wake is None:
            stop.wait(poll)
        else:
            wake.wait(poll)
            wake.clear()  # cleared before the next pass: a wake during that pass is kept
    return total
