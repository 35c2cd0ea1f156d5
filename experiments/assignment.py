"""Which variant of an experiment a visitor sees: decided on the server from a hash of the
experiment and the visitor (or, once signed in, the account), never a random roll, so every
request, process and device gives the same answer without storing one."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

# Buckets the hash is reduced to: fine enough for splits in hundredths of a percent.
BUCKETS = 10_000


def assignment_unit(*, account_id: int | None, visitor_id: str) -> str:
    """Who is assigned: the account when signed in (the same variant on every device),
    otherwise the visitor's cookie id."""
    return f"account:{account_id}" if account_id is not None else f"visitor:{visitor_id}"


def bucket(*, experiment_key: str, unit: str) -> int:
    """The unit's bucket in `range(BUCKETS)` for this experiment. The experiment's key is
    part of the hash, so one experiment's split says nothing about another's."""
    digest = hashlib.sha256(f"{experiment_key}\x00{unit}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def variant_for(*, experiment_key: str, unit: str, weights: Sequence[tuple[str, int]]) -> str:
    """The variant (by name) whose share of the traffic holds the unit's bucket; `weights`
    are (name, weight) in a fixed order, weights non-negative integers (percentages or any
    other parts), at least one of them positive."""
    total = sum(weight for _, weight in weights)
    if any(weight < 0 for _, weight in weights) or total <= 0:
        raise ValueError("weights must be non-negative with a positive sum")
    point = bucket(experiment_key=experiment_key, unit=unit) * total
    reached = 0
    for name, weight in weights:
        reached += weight * BUCKETS
        if point < reached:
            return name
    raise AssertionError("unreachable: the weights cover every bucket")
