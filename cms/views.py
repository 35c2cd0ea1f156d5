"""The storefront pages that combine catalog data with marketing content."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from catalog.forms import ConfiguratorForm
from catalog.pricing import Configuration, default_configuration, price_configuration
from catalog.selectors import (
    bundle_list_for_product,
    campaign_rules_cached,
    category_list,
    pricing_version,
    product_featured_list,
    product_get_for_display,
)
from catalog.services import preset_list_for_visitor
from checkout.views import cart_add_item
from core.exceptions import ApplicationError
from core.page_cache import is_stateless_visitor
from core.views import csrf_retryable
from experiments.storefront import mark_private, variant_shown

from .merchandising import product_copy
from .selectors import home_page_live, marketing_content, marketing_page_live


@require_GET
def home(request):
    """The Wagtail home page when one is published; a catalog-only page otherwise."""
    page = home_page_live()
    if page is not None:
        return page.serve(request)
    return render(
        request,
        "cms/home_fallback.html",
        {
            "featured": product_featured_list(limit=6),
            "categories": category_list(
                version=pricing_version(recent=is_stateless_visitor(request))
            ),
        },
    )


INVALID_CHOICES = "Please correct the highlighted choices."


@csrf_retryable(action="Add to cart", review="catalog:product-detail")
@require_http_methods(["GET", "POST"])
def product_detail(request, slug):
    """The product page; its configurator posts "Add to cart" here, so a refused one answers
    with this page, the customer's choices and what to correct."""
    if request.method == "POST":
        return cart_add_item(request, slug, refused=product_page_response)
    return product_page_response(request, slug)


def product_page_response(request, slug, *, marketing=None, form=None, error=None):
    """The storefront product page, merged with its marketing page when one is published.

    `marketing` is given by Wagtail's preview to show unsaved content in place; `form` and
    `error` by a refused "Add to cart" (answered with status 400). Everything priced here
    comes from caches keyed by the pricing version, read once.
    """
    version = pricing_version(recent=is_stateless_visitor(request))
    product = product_get_for_display(slug=slug, version=version)
    if product is None:
        raise Http404("No such service.")
    preview = marketing is not None
    marketing = marketing if preview else marketing_page_live(product=product, version=version)
    content = marketing_content(page=marketing, preview=preview) if marketing else None
    campaigns = campaign_rules_cached(product=product, version=version)
    shown = variant_shown(request, version=version, product_id=product.pk)
    copy = product_copy(
        summary=product.summary,
        content=content,
        bundles=bundle_list_for_product(product=product, version=version),
        shown=shown,
    )
    presets = preset_list_for_visitor(user=request.user, session=request.session, product=product)
    refused = form is not None
    if not refused:
        form, configuration, error = _configurator(request, product, presets)
    elif form.is_valid():
        configuration = form.configuration()  # valid, refused by the cart: still priced
    else:
        configuration, error = None, INVALID_CHOICES
    breakdown = None
    if configuration is not None:
        try:
            breakdown = price_configuration(
                product=product, configuration=configuration, campaigns=campaigns
            )
        except ApplicationError as exc:
            error = exc.message
    response = render(
        request,
        "cms/product_page.html",
        {
            "product": product,
            "form": form,
            "controls": form.controls(),
            "breakdown": breakdown,
            "price_error": error,
            "presets": presets,
            "campaign": next((c for c in campaigns if c.applies_to(product, timezone.now())), None),
            "tiers": list(product.tiers.all()),
            "marketing": content,
            "copy": copy,
            "bundles": copy.bundles,
        },
        status=400 if refused else 200,
    )
    return mark_private(response, shown)


def _configurator(request, product, presets):
    """(form, configuration or None when the choices are invalid, error): a chosen preset, the
    submitted choices, or the defaults."""
    configuration = default_configuration(product)
    preset_id = request.GET.get("preset", "")
    if preset_id:
        preset = next((p for p in presets if p["id"] == preset_id), None)
        if preset is None:
            messages.warning(request, "That preset no longer exists.")
        else:
            configuration = Configuration.from_dict(preset["configuration"])
            messages.info(request, f"Applied preset “{preset['name']}”.")
    elif request.GET.get("quantity") is not None:
        form = ConfiguratorForm(request.GET, product=product)
        if form.is_valid():
            return form, form.configuration(), None
        return form, None, INVALID_CHOICES
    initial = ConfiguratorForm.initial_from(configuration, product)
    return ConfiguratorForm(product=product, initial=initial), configuration, None
