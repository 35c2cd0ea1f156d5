from collections.abc import Sequence
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Least
from django.utils import timezone

from orders.models import Order

from .assignment import assignment_unit
from .exceptions import ExperimentNotReady, ExperimentTransitionInvalid
from .models import Conversion, Experiment, Exposure

Status = Experiment.Status
# Draft → running → stopped; a stopped experiment stays stopped (its results are history).
TRANSITIONS = {Status.DRAFT: {Status.RUNNING}, Status.RUNNING: {Status.STOPPED}}


def experiment_check_ready(experiment: Experiment) -> None:
    """Refuse to start what cannot split traffic: one control, another variant, a positive
    total weight, and bundles that are active and hold the product tested."""
    variants = list(experiment.variants.select_related("bundle").prefetch_related("bundle__items"))
    controls = [v for v in variants if v.is_control]
    if len(controls) != 1:
        raise ExperimentNotReady("An experiment needs exactly one control variant.")
    if len(variants) < 2:
        raise ExperimentNotReady("An experiment needs a variant besides the control.")
    if not any(v.weight for v in variants if not v.is_control) or not controls[0].weight:
        raise ExperimentNotReady("The control and at least one variant need some traffic.")
    for variant in variants:
        if variant.featured_product_id and experiment.product_id is not None:
            raise ExperimentNotReady(
                f"Variant “{variant.name}”: only the home page orders featured services."
            )
        bundle = variant.bundle
        if bundle is None:
            continue
        if experiment.product_id is None:
            raise ExperimentNotReady(f"Variant “{variant.name}”: the home page offers no bundles.")
        if not bundle.is_active:
            raise ExperimentNotReady(f"Variant “{variant.name}” offers an inactive bundle.")
        products = {item.product_id for item in bundle.items.all()}
        if experiment.product_id and experiment.product_id not in products:
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


def exposures_record(rows: Sequence[tuple[int, int, str, datetime]]) -> None:
    """(experiment id, variant id, unit, seen at) rows, in one statement; a unit already
    exposed keeps its first variant."""
    Exposure.objects.bulk_create(
        [Exposure(experiment_id=e, variant_id=v, unit=u, seen_at=at) for e, v, u, at in rows],
        ignore_conflicts=True,
    )


def conversion_record(
    *,
    experiment_id: int,
    units: Sequence[str],
    order: Order | None = None,
    at: datetime | None = None,
) -> Conversion | None:
    """The buyer (one or more units: its visitor id and its account) reached the goal:
    counted once, for the variant the earliest of its units saw first. Units never exposed
    count nowhere (None)."""
    first = (
        Exposure.objects.filter(experiment_id=experiment_id, unit__in=units)
        .order_by("seen_at", "pk")
        .values_list("unit", "variant_id")
        .first()
    )
    if first is None:
        return None
    unit, variant_id = first
    conversion = Conversion(
        experiment_id=experiment_id,
        variant_id=variant_id,
        unit=unit,
        order=order,
        currency=order.currency if order else "",
        amount=order.total_amount if order else 0,
        converted_at=at or timezone.now(),
    )
    Conversion.objects.bulk_create([conversion], ignore_conflicts=True)
    return Conversion.objects.get(experiment_id=experiment_id, unit=unit)


def conversions_for_order(*, order: Order, product_ids: Sequence[int]) -> list[Conversion]:
    """A paid order converts every paid-order experiment its buyer was exposed to that ran
    when the order was placed and tests its products' pages (or the home page)."""
    placed = order.created_at
    experiments = Experiment.objects.filter(
        Q(product__isnull=True) | Q(product__in=product_ids),
        goal=Experiment.Goal.PAID_ORDER,
        started_at__lte=placed,
    ).filter(Q(stopped_at__isnull=True) | Q(stopped_at__gte=placed))
    units = buyer_units(account_id=order.user_id, visitor_id=order.visitor_id)
    made = (
        conversion_record(experiment_id=pk, units=units, order=order)
        for pk in experiments.values_list("pk", flat=True)
    )
    return [conversion for conversion in made if conversion is not None]


def conversions_for_cart(
    *, account_id: int | None, visitor_id: str, product_ids: Sequence[int]
) -> list[Conversion]:
    """Items added to a cart convert the running add-to-cart experiments on their pages (or
    the home page's) for the visitor."""
    experiments = Experiment.objects.filter(
        Q(product__isnull=True) | Q(product__in=product_ids),
        goal=Experiment.Goal.ADD_TO_CART,
        status=Experiment.Status.RUNNING,
    )
    units = buyer_units(account_id=account_id, visitor_id=visitor_id)
    made = (
        conversion_record(experiment_id=pk, units=units)
        for pk in experiments.values_list("pk", flat=True)
    )
    return [conversion for conversion in made if conversion is not None]


def buyer_units(*, account_id: int | None, visitor_id: str) -> list[str]:
    """Every unit a buyer may have been exposed as: the account, and the browser's visitor
    id from before signing in."""
    units = [assignment_unit(account_id=account_id, visitor_id="")] if account_id else []
    if visitor_id:
        units.append(assignment_unit(account_id=None, visitor_id=visitor_id))
    return units


def conversions_refund(*, order_id: int, refunded_amount: int) -> int:
    """The order's total refunded so far (minor units) subtracts from the conversions it
    made; refunded in full, they count no more. Returns how many conversions changed."""
    return Conversion.objects.filter(order_id=order_id).update(
        refunded_amount=Least(Value(refunded_amount), F("amount"))
    )
