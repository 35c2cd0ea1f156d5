"""Which variant a storefront request shows, decided on the server for every request."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone
from django.utils.cache import patch_cache_control

from core.ids import parse_id
from core.visitors import visitor_id

from .assignment import assignment_unit, variant_for
from .selectors import LiveExperiment, LiveVariant, experiments_running, variant_for_preview
from .telemetry import exposure_buffer

# Staff add ?variant=<variant id> to a page to see that variant of any of its experiments.
PREVIEW_PARAMETER = "variant"


@dataclass(frozen=True)
class Shown:
    experiment: LiveExperiment
    variant: LiveVariant


def request_unit(request) -> str:
    """The account when signed in (the same variant on every device), else the visitor."""
    user = request.user
    return assignment_unit(
        account_id=user.pk if user.is_authenticated else None,
        visitor_id="" if user.is_authenticated else visitor_id(request),
    )


def variant_shown(request, *, version: int, product_id: int | None) -> Shown | None:
    """The variant of the experiment running on this page (the product's, or the home
    page's for None) that this request shows, its exposure buffered; None when nothing runs.

    Nothing of it reaches a shared cache: the pages render variant content on top of
    variant-free cached parts, and the response is marked private.
    """
    preview = _preview(request, product_id)
    if preview is not None:
        return preview
    experiment = experiments_running(version=version).get(product_id)
    if experiment is None:
        return None
    unit = request_unit(request)
    name = variant_for(experiment_key=experiment.key, unit=unit, weights=experiment.weights())
    variant = experiment.variant_named(name)
    exposure_buffer.add((experiment.id, variant.id, unit, timezone.now()))
    return Shown(experiment=experiment, variant=variant)


def _preview(request, product_id: int | None) -> Shown | None:
    variant_id = parse_id(request.GET.get(PREVIEW_PARAMETER, ""))
    if variant_id is None or not request.user.is_staff:
        return None
    found = variant_for_preview(variant_id=variant_id, product_id=product_id)
    if found is None:
        return None
    experiment, variant = found
    return Shown(experiment=experiment, variant=variant)  # a preview counts nowhere


def mark_private(response, shown: Shown | None):
    """A page that showed a variant is this visitor's alone: no shared cache may keep it."""
    if shown is not None:
        patch_cache_control(response, private=True)
    return response
