"""Exposures and conversions: a conversion counts once, for the variant seen first; refunds
subtract; a visitor who saw nothing counts nowhere."""

import pytest
from django.utils import timezone

from experiments.models import Conversion, Experiment, Exposure, Variant
from experiments.selectors import experiment_results
from experiments.services import conversion_record, conversions_refund, exposures_record
from tests.checkout.factories import placed_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def running():
    experiment = Experiment.objects.create(key="bundle-test", name="Bundle test")
    control = Variant.objects.create(experiment=experiment, name="control", is_control=True)
    bundle = Variant.objects.create(experiment=experiment, name="bundle")
    return experiment, control, bundle


def results_by_name(experiment):
    return {r.variant.name: r for r in experiment_results(experiment=experiment)}


def test_a_visitor_who_saw_b_and_pays_is_one_conversion_for_b(running):
    experiment, control, bundle = running
    now = timezone.now()
    exposures_record([(experiment.pk, bundle.pk, "visitor:v1", now)])
    exposures_record([(experiment.pk, control.pk, "visitor:v1", now)])  # later: ignored
    order, _ = placed_order()
    conversion_record(experiment_id=experiment.pk, units=["visitor:v1"], order=order)
    second, _ = placed_order()
    conversion_record(experiment_id=experiment.pk, units=["visitor:v1"], order=second)
    results = results_by_name(experiment)
    assert (results["bundle"].arm.exposures, results["bundle"].arm.conversions) == (1, 1)
    assert (results["control"].arm.exposures, results["control"].arm.conversions) == (0, 0)
    assert results["bundle"].revenue == {order.currency: order.total_amount}
    assert Conversion.objects.get().order == order  # the first paid order, once


def test_a_refund_subtracts_and_a_full_refund_removes_the_conversion(running):
    experiment, _, bundle = running
    exposures_record([(experiment.pk, bundle.pk, "account:7", timezone.now())])
    order, _ = placed_order()
    conversion_record(experiment_id=experiment.pk, units=["account:7"], order=order)
    assert conversions_refund(order_id=order.pk, refunded_amount=1_000) == 1
    result = results_by_name(experiment)["bundle"]
    assert result.arm.conversions == 1
    assert result.revenue == {order.currency: order.total_amount - 1_000}
    conversions_refund(order_id=order.pk, refunded_amount=order.total_amount + 5)
    result = results_by_name(experiment)["bundle"]
    assert (result.arm.conversions, result.revenue) == (0, {order.currency: 0})


def test_a_visitor_who_saw_nothing_counts_nowhere(running):
    experiment, _, _ = running
    order, _ = placed_order()
    assert (
        conversion_record(experiment_id=experiment.pk, units=["visitor:never"], order=order) is None
    )
    assert not Conversion.objects.exists()
    assert all(r.arm.conversions == 0 for r in experiment_results(experiment=experiment))


def test_results_compare_each_variant_with_the_control(running, django_assert_max_num_queries):
    experiment, control, bundle = running
    now = timezone.now()
    rows = [(experiment.pk, control.pk, f"visitor:c{i}", now) for i in range(1000)]
    rows += [(experiment.pk, bundle.pk, f"visitor:b{i}", now) for i in range(1000)]
    exposures_record(rows)
    Conversion.objects.bulk_create(
        [
            Conversion(
                experiment=experiment, variant=control, unit=f"visitor:c{i}", converted_at=now
            )
            for i in range(200)
        ]
        + [
            Conversion(
                experiment=experiment, variant=bundle, unit=f"visitor:b{i}", converted_at=now
            )
            for i in range(250)
        ]
    )
    with django_assert_max_num_queries(4):
        results = results_by_name(experiment)
    assert results["control"].comparison is None
    comparison = results["bundle"].comparison
    assert comparison.z == pytest.approx(2.6774, abs=1e-4)
    assert (comparison.low, comparison.high) == pytest.approx((0.01346, 0.08654), abs=1e-5)
    assert Exposure.objects.count() == 2000
