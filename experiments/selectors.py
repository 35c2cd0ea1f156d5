from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, Q, Sum

from .models import Conversion, Experiment, Exposure, Variant
from .statistics import Arm, Comparison, compare

FULLY_REFUNDED = Q(amount__gt=0, refunded_amount__gte=F("amount"))


@dataclass(frozen=True)
class VariantResult:
    variant: Variant
    arm: Arm  # exposures and conversions that still count
    revenue: dict[str, int]  # net of refunds, minor units by currency
    comparison: Comparison | None  # against the control; None for the control itself

    @property
    def revenue_per_visitor(self) -> dict[str, float]:
        return {c: a / self.arm.exposures for c, a in self.revenue.items() if self.arm.exposures}


def experiment_results(*, experiment: Experiment) -> list[VariantResult]:
    """Each variant's exposures, conversions and net revenue, compared with the control;
    three queries whatever the traffic."""
    variants = list(experiment.variants.all())
    exposures = dict(
        Exposure.objects.filter(experiment=experiment)
        .values_list("variant_id")
        .annotate(n=Count("pk"))
    )
    conversions = dict(
        Conversion.objects.filter(experiment=experiment)
        .exclude(FULLY_REFUNDED)
        .values_list("variant_id")
        .annotate(n=Count("pk"))
    )
    revenue: dict[int, dict[str, int]] = {}
    for variant_id, currency, net in (
        Conversion.objects.filter(experiment=experiment, order__isnull=False)
        .values_list("variant_id", "currency")
        .annotate(net=Sum(F("amount") - F("refunded_amount")))
    ):
        revenue.setdefault(variant_id, {})[currency] = net
    arms = {v.pk: Arm(exposures.get(v.pk, 0), conversions.get(v.pk, 0)) for v in variants}
    control = next((v for v in variants if v.is_control), None)
    return [
        VariantResult(
            variant=v,
            arm=arms[v.pk],
            revenue=revenue.get(v.pk, {}),
            comparison=None
            if control is None or v is control
            else compare(arms[control.pk], arms[v.pk]),
        )
        for v in variants
    ]
