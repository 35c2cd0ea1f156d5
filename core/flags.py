"""Staged rollout (ADR 0014): feature flags are django-waffle flags stored in `core.Flag`.

Views use `flag_required`, templates `{% flag_active "name" as on %}` (core/templatetags/
flags.py); both ask `flag_active`, which asks a request's flag once.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.models import Group
from django.db import transaction
from django.http import Http404
from waffle import flag_is_active

from .models import Flag

BILLING_CENTRE = "billing_centre"


def flag_active(request, name: str) -> bool:
    """Whether the flag is on for this request's user; staff always see flagged sections.
    Remembered on the request, so a view and its template read the flag once."""
    seen = request.__dict__.setdefault("_flags_seen", {})
    if name not in seen:
        user = getattr(request, "user", None)
        staff = user is not None and user.is_authenticated and user.is_staff
        # Staff: `Flag.is_active`'s first rule, answered without reading the flag.
        seen[name] = staff or bool(flag_is_active(request, name))
    return seen[name]


def flag_required(name: str) -> Callable:
    """A view decorator: 404 unless the flag is on for the user (as if the page did not exist)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not flag_active(request, name):
                raise Http404("No such page.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


@transaction.atomic
def flag_enable(
    *, name: str, users=(), groups: tuple[Group, ...] = (), percent=None, note: str = ""
) -> Flag:
    """Switch a flag on for these accounts and groups (and a percentage of all accounts, if
    given), creating it if needed; every process sees the change at its next request."""
    flag, _ = Flag.objects.get_or_create(name=name, defaults={"note": note})
    if percent is not None:
        flag.percent = percent
    flag.save()  # waffle drops the flag's cached copies after commit
    if users:
        flag.users.add(*users)
    if groups:
        flag.groups.add(*groups)
    return flag
