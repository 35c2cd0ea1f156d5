"""Writes of marketing content that other parts of the product ask for."""

from __future__ import annotations

from django.db import transaction

from core.audit import AuditTarget, audit_record
from core.models import Via
from experiments.models import Experiment, Variant
from experiments.services import experiment_transition

from .exceptions import PromotionRefused
from .models import HomePage, ProductMarketingPage
from .selectors import home_page_live


@transaction.atomic
def experiment_promote(*, experiment_id: int, variant_id: int, user) -> Variant:
    """End the experiment and publish the winning variant as the page's content, through a
    normal revision (history, rollback and the editor's view all as for a staff edit).
    Promoting the control only ends the experiment: the page stays as published."""
    variant = (
        Variant.objects.filter(pk=variant_id, experiment_id=experiment_id)
        .select_related("experiment__product")
        .first()
    )
    if variant is None:
        raise PromotionRefused("That variant is not part of this experiment.")
    if variant.experiment.status == Experiment.Status.DRAFT:
        raise PromotionRefused("A draft has no results: start the experiment first.")
    experiment = experiment_transition(
        experiment_id=experiment_id, to_status=Experiment.Status.STOPPED
    )
    if not variant.is_control:
        page = (
            _home_with(variant)
            if experiment.product_id is None
            else _marketing_with(variant, experiment.product)
        )
        page.save_revision(user=user, log_action=True).publish(user=user)
    audit_record(
        actor=user,
        via=Via.ADMIN,
        action="experiment.promote",
        targets=[AuditTarget.of(experiment)],
        detail=f"published variant {variant.name}",
    )
    return variant


def _home_with(variant: Variant) -> HomePage:
    page = home_page_live()
    if page is None:
        raise PromotionRefused("There is no published home page to promote the variant on.")
    page.hero_heading = variant.hero_heading or page.hero_heading
    page.hero_text = variant.hero_text or page.hero_text
    if variant.featured_product_id:
        items = sorted(
            page.featured.all(), key=lambda i: i.product_id != variant.featured_product_id
        )
        for position, item in enumerate(items):
            item.sort_order = position
        page.featured.set(items)
    return page


def _marketing_with(variant: Variant, product) -> ProductMarketingPage:
    """The product's marketing page as published (a pending draft is superseded), or a new
    one under the home page."""
    page = ProductMarketingPage.objects.filter(product=product).first()
    if page is None:
        home = home_page_live()
        if home is None:
            raise PromotionRefused("There is no home page to add the product's page under.")
        page = home.add_child(
            instance=ProductMarketingPage(title=product.title, product=product, live=False)
        )
    page.headline = variant.hero_heading or page.headline
    page.tagline = variant.hero_text or page.tagline
    page.featured_bundle_id = variant.bundle_id or page.featured_bundle_id
    return page
