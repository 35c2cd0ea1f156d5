from decimal import Decimal

from catalog.models import Bundle, BundleItem
from experiments.models import Experiment, Variant
from experiments.services import experiment_transition


def bundle_of(*products, active=True, headline="Grow together"):
    bundle = Bundle.objects.create(
        headline=headline, discount_percent=Decimal("10"), is_active=active
    )
    for product in products:
        BundleItem.objects.create(bundle=bundle, product=product)
    return bundle


def experiment(product=None, *, key="hero", variants=(("control", True, 50), ("b", False, 50))):
    """A draft; `variants` are (name, is_control, weight) or with a dict of content fields."""
    found = Experiment.objects.create(key=key, name=key.title(), product=product)
    for position, (name, is_control, weight, *content) in enumerate(variants):
        Variant.objects.create(
            experiment=found,
            sort_order=position,
            name=name,
            is_control=is_control,
            weight=weight,
            **(content[0] if content else {}),
        )
    return found


def running(product=None, **kwargs) -> Experiment:
    draft = experiment(product, **kwargs)
    return experiment_transition(experiment_id=draft.pk, to_status=Experiment.Status.RUNNING)
