"""The audit trail of operator actions (`AuditEntry`): one writer, one reader."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models, transaction

from .models import AuditEntry, Via

# Who the trail names when no staff account acted.
NO_ACCOUNT = {Via.API: "operator API key", Via.CUSTOMER: "customer", Via.SYSTEM: "system"}


@dataclass(frozen=True)
class AuditTarget:
    """The object an action was about, as the trail names it."""

    object_type: str  # "checkout.CheckoutSession"
    object_id: str
    object_repr: str

    @classmethod
    def of(cls, instance: models.Model, label: str = "") -> AuditTarget:
        return cls(instance._meta.label, str(instance.pk), (label or str(instance))[:200])


@transaction.atomic
def audit_record(
    *, actor, via: str, action: str, targets: Iterable[AuditTarget], detail: str = ""
) -> list[AuditEntry]:
    """One entry per target. `actor` is the account that acted (None for an API-key call or
    the system); `via` says through what (`core.models.Via`)."""
    name = actor.get_username() if actor is not None else NO_ACCOUNT.get(via, via)
    return AuditEntry.objects.bulk_create(
        AuditEntry(
            actor=actor,
            actor_name=name[:150],
            via=via,
            action=action,
            object_type=target.object_type,
            object_id=target.object_id,
            object_repr=target.object_repr,
            detail=detail,
        )
        for target in targets
    )


def audit_recent(*, limit: int = 20) -> list[AuditEntry]:
    """The latest entries, newest first (one query)."""
    return list(AuditEntry.objects.all()[:limit])
