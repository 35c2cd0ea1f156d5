"""Starting and stopping an experiment: only what can split traffic starts, one at a time
per page, and a stopped experiment stays stopped."""

import pytest
from django.core.exceptions import ValidationError

from experiments.exceptions import ExperimentNotReady, ExperimentTransitionInvalid
from experiments.models import Experiment
from experiments.services import experiment_transition
from tests.catalog.factories import ProductFactory

from .factories import bundle_of, experiment

pytestmark = pytest.mark.django_db
RUNNING, STOPPED = Experiment.Status.RUNNING, Experiment.Status.STOPPED


def test_a_ready_experiment_starts_and_stops():
    started = experiment_transition(experiment_id=experiment().pk, to_status=RUNNING)
    assert started.status == RUNNING and started.started_at is not None
    stopped = experiment_transition(experiment_id=started.pk, to_status=STOPPED)
    assert stopped.status == STOPPED and stopped.stopped_at >= stopped.started_at


@pytest.mark.parametrize(
    ("variants", "message"),
    [
        ((("a", False, 50), ("b", False, 50)), "exactly one control"),
        ((("a", True, 50), ("b", True, 50)), "exactly one control"),
        ((("control", True, 100),), "a variant besides the control"),
        ((("control", True, 50), ("b", False, 0)), "need some traffic"),
        ((("control", True, 0), ("b", False, 100)), "need some traffic"),
    ],
)
def test_an_experiment_that_cannot_split_traffic_does_not_start(variants, message):
    draft = experiment(variants=variants)
    with pytest.raises(ExperimentNotReady, match=message) as refused:
        experiment_transition(experiment_id=draft.pk, to_status=RUNNING)
    assert refused.value.code == "experiment_not_ready"
    draft.refresh_from_db()
    assert draft.status == Experiment.Status.DRAFT and draft.started_at is None


def test_a_bundle_variant_must_offer_an_active_bundle_with_the_product():
    product, other = ProductFactory(), ProductFactory()
    draft = experiment(product)
    variant = draft.variants.get(name="b")
    variant.bundle = bundle_of(other, ProductFactory())
    variant.save()
    with pytest.raises(ExperimentNotReady, match="without the product tested"):
        experiment_transition(experiment_id=draft.pk, to_status=RUNNING)
    variant.bundle = bundle_of(product, other, active=False)
    variant.save()
    with pytest.raises(ExperimentNotReady, match="inactive bundle"):
        experiment_transition(experiment_id=draft.pk, to_status=RUNNING)
    variant.bundle = bundle_of(product, other)
    variant.save()
    assert experiment_transition(experiment_id=draft.pk, to_status=RUNNING).status == RUNNING


@pytest.mark.parametrize("on_product", [True, False], ids=["product page", "home page"])
def test_one_running_experiment_per_page(on_product):
    product = ProductFactory() if on_product else None
    first = experiment(product, key="first")
    second = experiment(product, key="second")
    experiment_transition(experiment_id=first.pk, to_status=RUNNING)
    with pytest.raises(ExperimentTransitionInvalid, match="already running") as refused:
        experiment_transition(experiment_id=second.pk, to_status=RUNNING)
    assert refused.value.status == 409
    second.refresh_from_db()
    assert second.status == Experiment.Status.DRAFT
    experiment_transition(experiment_id=first.pk, to_status=STOPPED)
    assert experiment_transition(experiment_id=second.pk, to_status=RUNNING).status == RUNNING


def test_different_pages_run_experiments_side_by_side():
    for key in ("a", "b"):
        experiment_transition(
            experiment_id=experiment(ProductFactory(), key=key).pk, to_status=RUNNING
        )
    experiment_transition(experiment_id=experiment(key="home").pk, to_status=RUNNING)
    assert Experiment.objects.filter(status=RUNNING).count() == 3


def test_a_stopped_experiment_stays_stopped():
    found = experiment()
    experiment_transition(experiment_id=found.pk, to_status=RUNNING)
    experiment_transition(experiment_id=found.pk, to_status=STOPPED)
    with pytest.raises(ExperimentTransitionInvalid, match="stopped experiment cannot"):
        experiment_transition(experiment_id=found.pk, to_status=RUNNING)


def test_a_draft_cannot_be_stopped():
    with pytest.raises(ExperimentTransitionInvalid):
        experiment_transition(experiment_id=experiment().pk, to_status=STOPPED)


def test_the_control_shows_the_page_unchanged():
    control = experiment().variants.get(is_control=True)
    control.hero_heading = "Something else"
    with pytest.raises(ValidationError, match="control shows the page as published"):
        control.full_clean()
