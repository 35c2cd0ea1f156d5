import hashlib
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from core.api import json_error
from core.exceptions import ApplicationError
from core.page_cache import is_stateless_visitor, may_store, path_key

from .exceptions import PresetNameTaken
from .forms import CatalogQueryForm, ConfiguratorForm, PresetForm, SuggestionChoiceForm
from .pricing import price_configuration
from .selectors import (
    SORT_LABELS,
    ProductCard,
    campaign_rules_cached,
    catalog_page,
    category_list,
    pricing_cached,
    pricing_version,
    product_featured_list,
    product_get_for_display,
    search_suggestion_list,
    search_trending_cached,
)
from .services import (
    OnConflict,
    preset_delete_for_session,
    preset_delete_for_user,
    preset_save_for_session,
    preset_save_for_user,
    search_event_record,
    search_normalise,
    suggestion_event_record,
)

SUGGEST_MIN_LENGTH = 2


def _listing_fragment(params: dict, version: int) -> tuple[int, str, str, bool]:
    """(result count, rendered result grid, the corrected query shown when the typed one
    found nothing, whether more match than the count listed), cached per pricing version
    and parameters."""
    raw = "|".join(str(params[k]) for k in ("q", "category", "sort", "page"))
    digest = hashlib.sha256(raw.encode()).hexdigest()[:32]
    key = f"catalog:results:{version}:{digest}"
    cached = cache.get(key)
    if cached is None:
        page = catalog_page(
            query=params["q"],
            category=params["category"],
            sort=params["sort"],
            page=params["page"],
            version=version,
        )
        html = render_to_string(
            "catalog/_results.html",
            {"page": page, "params": params, "cards_html": _cards_html(page.cards, version)},
        )
        cached = (page.count, html, page.showing, page.more)
        cache.set(key, cached, settings.CATALOG_CACHE_SECONDS)
    return cached


def _cards_html(cards: list[ProductCard], version: int) -> list[str]:
    """Each listing card's markup, cached per product, pricing version and the price shown
    (a campaign starting or ending changes the key): different searches and pages show
    the same cards, and rendering 24 of them costs about as much as the search itself."""
    keys = [
        f"catalog:card:{version}:{c.product.pk}:{c.price.amount}:{c.sale_price.amount}:"
        f"{c.price.currency}:{hashlib.sha256(c.badge.encode()).hexdigest()[:12]}"
        for c in cards
    ]
    found = cache.get_many(keys)
    rendered = {
        key: render_to_string("includes/product_card.html", {"card": card})
        for key, card in zip(keys, cards, strict=True)
        if key not in found
    }
    if rendered:
        cache.set_many(rendered, settings.PRICING_CACHE_SECONDS)
    return [mark_safe(found.get(key) or rendered[key]) for key in keys]  # noqa: S308 (our render)


@require_GET
def catalog_list(request):
    stateless = is_stateless_visitor(request)
    version = pricing_version(recent=stateless)
    page_key = path_key("catalog:page", version, request)
    if stateless and (hit := cache.get(page_key)) is not None:
        params, count, showing, content = hit
        _record_search(params, count, showing)
        return HttpResponse(content)
    params, notices = CatalogQueryForm(request.GET).params()
    categories = category_list(version=version)
    if params["category"] and params["category"] not in {c.slug for c in categories}:
        notices.append(CatalogQueryForm.NOTICES["category"])
        params["category"] = ""
    count, results_html, showing, more = _listing_fragment(params, version)
    _record_search(params, count, showing)
    context = {
        "params": params,
        "notices": notices,
        "categories": categories,
        "sort_choices": [(k, v) for k, v in SORT_LABELS.items() if k != "relevance" or params["q"]],
        "count": count,
        "more": more,
        "showing": showing,
        "results_html": results_html,
        "trending": search_trending_cached(),
    }
    if count == 0:
        context["suggestions"] = product_featured_list(limit=4)
    response = render(request, "catalog/list.html", context)
    if stateless and may_store(request, response):
        cache.set(
            page_key, (params, count, showing, response.content), settings.CATALOG_CACHE_SECONDS
        )
    return response


def _record_search(params: dict, count: int, showing: str) -> None:
    """Every search counts, cached page or not; paging through results is not a new search.
    A search that found nothing as typed counts as a zero-result search, with what was
    searched instead."""
    if params["q"] and params["page"] == 1:
        search_event_record(
            query=params["q"],
            category=params["category"],
            sort=params["sort"],
            result_count=0 if showing else count,
            suggestion=showing,
        )


@require_GET
def search_suggest(request):
    """Search-as-you-type: JSON services for what is typed so far (the header and listing
    search fields ask for it; without JavaScript the forms search as before)."""
    query = request.GET.get("q", "")[: settings.SEARCH_QUERY_MAX_LENGTH]
    if len(query.strip()) < SUGGEST_MIN_LENGTH:
        return JsonResponse({"query": query, "suggestions": []})
    version = pricing_version(recent=is_stateless_visitor(request))
    digest = hashlib.sha256(search_normalise(query).encode()).hexdigest()[:32]
    suggestions = pricing_cached(
        f"suggest:{digest}",
        version=version,
        load=lambda: search_suggestion_list(query=query, version=version),
    )
    suggestion_event_record(query=query, suggested=[s.product_id for s in suggestions])
    choose = reverse("catalog:search-suggest-choose")
    return JsonResponse(
        {
            "query": query,
            "suggestions": [
                {
                    "title": s.title,
                    "url": s.url,
                    # Through the choice's record to the product page.
                    "href": f"{choose}?{urlencode({'q': query, 'product': s.slug, 'position': n})}",
                }
                for n, s in enumerate(suggestions, 1)
            ],
        }
    )


@require_GET
def search_suggest_choose(request):
    """A suggestion was chosen: record it, then open the product page."""
    form = SuggestionChoiceForm(request.GET)
    if not form.is_valid():
        raise Http404("No such service.")
    product = _product_or_404(form.cleaned_data["product"])
    suggestion_event_record(
        query=form.cleaned_data["q"],
        suggested=[],
        chosen=product,
        position=form.cleaned_data["position"],
    )
    return redirect(product.get_absolute_url())


def _product_or_404(slug: str):
    product = product_get_for_display(slug=slug, version=pricing_version())
    if product is None:
        raise Http404("No such service.")
    return product


@require_GET
def product_price(request, slug):
    """Price breakdown for the configurator's live update: JSON, or the HTML partial."""
    version = pricing_version(recent=is_stateless_visitor(request))
    product = product_get_for_display(slug=slug, version=version)
    if product is None:
        return json_error("product_not_found", "No such service.", status=404)
    form = ConfiguratorForm(request.GET, product=product)
    if not form.is_valid():
        fields = {name: [str(e) for e in errors] for name, errors in form.errors.items()}
        return json_error(
            "invalid_configuration", "Please correct the highlighted choices.", fields=fields
        )
    try:
        breakdown = price_configuration(
            product=product,
            configuration=form.configuration(),
            campaigns=campaign_rules_cached(product=product, version=version),
        )
    except ApplicationError as exc:
        return json_error(exc.code, exc.message)
    if request.GET.get("format") == "html":
        return render(request, "catalog/_breakdown.html", {"breakdown": breakdown})
    return JsonResponse(breakdown.as_dict())


@require_POST
def product_configure(request, slug):
    """ "Update price" without JavaScript: the choices go to the product page's address, which
    prices and checks them (the form posts, so its CSRF token and preset name stay out of it)."""
    product = _product_or_404(slug)
    return redirect(ConfiguratorForm(request.POST, product=product).choices_url())


@require_POST
def preset_save(request, slug):
    """Save the configuration as a preset and show it again; a taken name asks first."""
    product = _product_or_404(slug)
    preset_form = PresetForm(request.POST)
    form = ConfiguratorForm(request.POST, product=product)
    back = form.choices_url() + "#presets"
    if not preset_form.is_valid():
        messages.error(request, "Give the preset a name (up to 60 characters).")
        return redirect(back)
    if not form.is_valid():
        messages.error(request, "The configuration is not valid, so it was not saved.")
        return redirect(back)
    owner = (
        {"user": request.user} if request.user.is_authenticated else {"session": request.session}
    )
    save = preset_save_for_user if request.user.is_authenticated else preset_save_for_session
    try:
        preset = save(
            **owner,
            product=product,
            name=preset_form.cleaned_data["name"],
            configuration=form.configuration(),
            on_conflict=preset_form.cleaned_data["on_conflict"] or OnConflict.ASK,
        )
    except PresetNameTaken as exc:
        return render(
            request,
            "catalog/preset_replace.html",
            {"product": product, "taken": exc, "fields": form.posted_choices(), "back": back},
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        name = preset.name if request.user.is_authenticated else preset["name"]
        messages.success(request, f"Saved preset “{name}”.")
    return redirect(back)


@require_POST
def preset_delete(request, slug, preset_id):
    product = _product_or_404(slug)
    if request.user.is_authenticated:
        deleted = preset_delete_for_user(user=request.user, preset_id=preset_id)
    else:
        deleted = preset_delete_for_session(session=request.session, preset_id=preset_id)
    if not deleted:
        # Another client's preset, or one already gone: as for any object that is not theirs.
        raise Http404("No such preset.")
    messages.success(request, "Preset deleted.")
    return redirect(product.get_absolute_url() + "#presets")
