from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, Q, Sum

from catalog.selectors import pricing_cached

from .models import Conversion, Experiment, Exposure, Variant
from .statistics import Arm, Comparison, compare

FULLY_REFUNDED = Q(amount__gt=0, refunded_amount__gte=F("amount"))


@dataclass(frozen=True)
class LiveVariant:
    """What the storefront needs of a variant (plain values: cached and pickled cheaply)."""

    id: int
    name: str
    weight: int
    is_control: bool
    bundle_id: int | None
    hero_heading: str
    hero_text: str
    featured_product_id: int | None

    @classmethod
    def of(cls, variant: Variant) -> LiveVariant:
        return cls(
            id=variant.pk,
            name=variant.name,
            weight=variant.weight,
            is_control=variant.is_control,
            bundle_id=variant.bundle_id,
            hero_heading=variant.hero_heading,
            hero_text=variant.hero_text,
            featured_product_id=variant.featured_product_id,
        )


@dataclass(frozen=True)
class LiveExperiment:
    id: int
    key: str
    product_id: int | None  # None: the home page
    variants: tuple[LiveVariant, ...]

    def weights(self) -> list[tuple[str, int]]:
        return [(v.name, v.weight) for v in self.variants]

    def variant_named(self, name: str) -> LiveVariant | None:
        return next((v for v in self.variants if v.name == name), None)


def experiments_running(*, version: int) -> dict[int | None, LiveExperiment]:
    """Running experiments by the product page they test (None for the home page): one
    query, then cached under the pricing version, which starting or stopping an
    experiment and editing one bump, so every process shows the change on its next read."""
    return pricing_cached("experiments-running", version=version, load=_running)


def _running() -> dict[int | None, LiveExperiment]:
    variants = (
        Variant.objects.filter(experiment__status=Experiment.Status.RUNNING)
        .select_related("experiment")
        .order_by("experiment_id", "sort_order", "pk")
    )
    grouped: dict[int, list[Variant]] = {}
    for variant in variants:
        grouped.setdefault(variant.experiment_id, []).append(variant)
    return {
        group[0].experiment.product_id: _live(group[0].experiment, group)
        for group in grouped.values()
    }


def _live(experiment: Experiment, variants: list[Variant]) -> LiveExperiment:
    return LiveExperiment(
        id=experiment.pk,
        key=experiment.key,
        product_id=experiment.product_id,
        variants=tuple(LiveVariant.of(v) for v in variants),
    )


def variant_for_preview(
    *, variant_id: int, product_id: int | None
) -> tuple[LiveExperiment, LiveVariant] | None:
    """A staff preview of one variant of any experiment (draft, running or stopped) on the
    page it tests (one query); None when it tests another page."""
    variant = (
        Variant.objects.filter(pk=variant_id, experiment__product_id=product_id)
        .select_related("experiment")
        .first()
    )
    if variant is None:
        return None
    experiment = _live(variant.experiment, variants=[variant])
    return experiment, experiment.variants[0]


@dataclass(frozen=True)
class VariantResult:
    variant: Variant
    arm: Arm  # exposures and conversions that still count
    revenue: dict[str, int]  # net of refunds, minor units by currency
    comparison: Comparison | None  # against the control; None for the control itself

    @property
    def revenue_per_visitor(self) -> dict[str, int]:
        """Net revenue per exposed visitor, rounded to whole minor units."""
        exposures = self.arm.exposures
        return {c: round(a / exposures) for c, a in self.revenue.items() if exposures}


def sample_enough(rows: list[VariantResult]) -> bool:
    """Whether every comparison rests on enough visitors and outcomes to read it."""
    return all(row.comparison.enough for row in rows if row.comparison)


def experiment_results(*, experiment: Experiment) -> list[VariantResult]:
    return experiments_results(experiments=[experiment])[experiment.pk]


def experiments_results(*, experiments: list[Experiment]) -> dict[int, list[VariantResult]]:
    """Each experiment's variants with their exposures, conversions and net revenue,
    compared with the control; four queries however many experiments and visitors."""
    ids = [e.pk for e in experiments]
    if not ids:
        return {}
    variants = list(Variant.objects.filter(experiment_id__in=ids).order_by("sort_order", "pk"))
    exposures = dict(
        Exposure.objects.filter(experiment_id__in=ids)
        .values_list("variant_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    conversions = dict(
        Conversion.objects.filter(experiment_id__in=ids)
        .exclude(FULLY_REFUNDED)
        .values_list("variant_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    revenue: dict[int, dict[str, int]] = {}
    for variant_id, currency, net in (
        Conversion.objects.filter(experiment_id__in=ids, order__isnull=False)
        .values_list("variant_id", "currency")
        .annotate(net=Sum(F("amount") - F("refunded_amount")))
        .order_by()
    ):
        revenue.setdefault(variant_id, {})[currency] = net
    arms = {v.pk: Arm(exposures.get(v.pk, 0), conversions.get(v.pk, 0)) for v in variants}
    results: dict[int, list[VariantResult]] = {pk: [] for pk in ids}
    controls = {v.experiment_id: v for v in variants if v.is_control}
    for v in variants:
        control = controls.get(v.experiment_id)
        results[v.experiment_id].append(
            VariantResult(
                variant=v,
                arm=arms[v.pk],
                revenue=revenue.get(v.pk, {}),
                comparison=None
                if control is None or v is control
                else compare(arms[control.pk], arms[v.pk]),
            )
        )
    return results


def experiments_running_list(*, limit: int = 10) -> list[Experiment]:
    """Running experiments with their page, the longest-running first (one query)."""
    return list(
        Experiment.objects.filter(status=Experiment.Status.RUNNING)
        .select_related("product")
        .order_by("started_at", "pk")[:limit]
    )
