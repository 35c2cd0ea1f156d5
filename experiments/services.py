from django.db import IntegrityError, transaction
from django.utils import timezone

from .exceptions import ExperimentNotReady, ExperimentTransitionInvalid
from .models import Experiment

Status = Experiment.Status
# Draft → running → stopped; a stopped experiment stays stopped (its results are history).
TRANSITIONS = {Status.DRAFT: {Status.RUNNING}, Status.RUNNING: {Status.STOPPED}}


def experiment_check_ready(experiment: Experiment) -> None:
    """Refuse to start what cannot split traffic: one control, another variant, a positive
    total weight, and bundles that are on sale and hold the product tested."""
    variants = list(experiment.variants.all())
    controls = [v for v in variants if v.is_control]
    if len(controls) != 1:
        raise ExperimentNotReady("An experiment needs exactly one control variant.")
    if len(variants) < 2:
        raise ExperimentNotReady("An experiment needs a variant besides the control.")
    if not any(v.weight for v in variants if not v.is_control) or not controls[0].weight:
        raise ExperimentNotReady("The control and at least one variant need some traffic.")
    for variant in variants:
        bundle = variant.bundle
        if bundle is None:
            continue
        if not bundle.is_active:
            raise ExperimentNotReady(f"Variant “{variant.name}” offers an inactive bundle.")
        if (
            experiment.product_id
            and not bundle.items.filter(product_id=experiment.product_id).exists()
        ):
            raise ExperimentNotReady(
                f"Variant “{variant.name}” offers a bundle without the product tested."
            )


@transaction.atomic
def experiment_transition(*, experiment_id: int, to_status: str) -> Experiment:
    """Start or stop an experiment: the only writer of its status. Stopping takes effect on
    every visitor's next request (assignment reads only running experiments)."""
    experiment = Experiment.objects.select_for_update().get(pk=experiment_id)
    if experiment.status == to_status:
        return experiment
    if to_status not in TRANSITIONS.get(experiment.status, set()):
        raise ExperimentTransitionInvalid(
            f"A {experiment.get_status_display().lower()} experiment cannot become {to_status}."
        )
    now = timezone.now()
    if to_status == Status.RUNNING:
        experiment_check_ready(experiment)
        experiment.started_at = now
    else:
        experiment.stopped_at = now
    experiment.status = to_status
    try:
        with transaction.atomic():
            experiment.save(update_fields=["status", "started_at", "stopped_at", "updated_at"])
    except IntegrityError:
        raise ExperimentTransitionInvalid(
            "Another experiment is already running on this page; stop it first."
        ) from None
    return experiment
