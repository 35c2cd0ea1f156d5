"""Writes for the catalog: the pricing version, search telemetry and configuration presets."""

from __future__ import annotations

import re
import uuid

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core.ids import parse_id

from .exceptions import PresetError, PresetNameTaken
from .models import (
    ConfigurationPreset,
    PricingVersion,
    Product,
    SearchEvent,
    SearchSynonym,
    SuggestionEvent,
)
from .pricing import Configuration, price_configuration
from .search.synonyms import DEFAULT_SYNONYMS
from .selectors import preset_list_for_user, pricing_version_forget
from .telemetry import search_buffer

MAX_PRESETS_PER_PRODUCT = 20
SESSION_PRESETS_KEY = "catalog_presets"
_SPACES = re.compile(r"\s+")


def pricing_version_bump() -> None:
    """Every cache of catalog data starts over. Call it in the editing transaction: readers
    see the new version exactly when the edit commits."""
    if not PricingVersion.objects.filter(pk=1).update(value=F("value") + 1):
        PricingVersion.objects.get_or_create(pk=1, defaults={"value": 2})
    transaction.on_commit(pricing_version_forget)


def search_normalise(query: str) -> str:
    return _SPACES.sub(" ", query).strip().lower()[:200]


def synonyms_seed() -> int:
    """Add the default synonyms a shop is missing (staff's own words and edits stay)."""
    known = set(SearchSynonym.objects.values_list("word", flat=True))
    missing = [SearchSynonym(word=w, means=m) for w, m in DEFAULT_SYNONYMS if w not in known]
    SearchSynonym.objects.bulk_create(missing)
    if missing:
        pricing_version_bump()
    return len(missing)


def search_event_record(
    *, query: str, category: str, sort: str, result_count: int, suggestion: str = ""
) -> None:
    """Record one search (buffered; see catalog.telemetry). Never raises into the page."""
    search_buffer.add(
        SearchEvent(
            query=search_normalise(query),
            category=category[:50],
            sort=sort[:20],
            result_count=result_count,
            suggestion=suggestion[:200],
            created_at=timezone.now(),
        )
    )


def suggestion_event_record(
    *, query: str, suggested: list[int], chosen: Product | None = None, position: int | None = None
) -> None:
    """Record suggestions shown while typing, or the one chosen (buffered, like searches)."""
    search_buffer.add(
        SuggestionEvent(
            query=search_normalise(query),
            suggested=suggested,
            chosen=chosen,
            position=position,
            created_at=timezone.now(),
        )
    )


def _validated(product: Product, configuration: Configuration, name: str) -> tuple[str, dict]:
    name = _SPACES.sub(" ", name).strip()
    if not name:
        raise PresetError("Give the preset a name.")
    if len(name) > 60:
        raise PresetError("Preset names are limited to 60 characters.")
    price_configuration(product=product, configuration=configuration, campaigns=[])
    return name, configuration.as_dict()


class OnConflict:
    """What saving a preset does when the name is taken: ask first, replace it, or keep both."""

    ASK = "ask"
    REPLACE = "replace"
    KEEP_BOTH = "keep_both"


def _free_name(name: str, taken: set[str], on_conflict: str) -> str:
    """The name to save under; "keep both" numbers the new one: “Launch (2)”."""
    if name not in taken or on_conflict == OnConflict.REPLACE:
        return name
    number = 2
    while True:
        suffix = f" ({number})"
        candidate = name[: 60 - len(suffix)] + suffix
        if candidate not in taken:
            break
        number += 1
    if on_conflict == OnConflict.KEEP_BOTH:
        return candidate
    raise PresetNameTaken(name, alternative=candidate)


@transaction.atomic
def preset_save_for_user(
    *,
    user,
    product: Product,
    name: str,
    configuration: Configuration,
    on_conflict: str = OnConflict.ASK,
):
    """Save a signed-in client's preset; a taken name raises `PresetNameTaken` unless the
    client chose to replace it or keep both."""
    name, data = _validated(product, configuration, name)
    taken = set(
        ConfigurationPreset.objects.filter(user=user, product=product).values_list(
            "name", flat=True
        )
    )
    name = _free_name(name, taken, on_conflict)
    if len(taken) >= MAX_PRESETS_PER_PRODUCT and name not in taken:
        raise PresetError(f"You can keep up to {MAX_PRESETS_PER_PRODUCT} presets per service.")
    try:
        with transaction.atomic():
            preset, _ = ConfigurationPreset.objects.update_or_create(
                user=user, product=product, name=name, defaults={"configuration": data}
            )
    except IntegrityError as exc:  # a concurrent save with the same name
        raise PresetError("A preset with that name was just saved; try again.") from exc
    return preset


def preset_delete_for_user(*, user, preset_id: str) -> bool:
    pk = parse_id(preset_id)
    if pk is None:
        return False
    deleted, _ = ConfigurationPreset.objects.filter(user=user, pk=pk).delete()
    return bool(deleted)


def preset_list_for_session(*, session, product: Product) -> list[dict]:
    return [p for p in session.get(SESSION_PRESETS_KEY, []) if p.get("product_id") == product.pk]


def preset_list_for_visitor(*, user, session, product: Product) -> list[dict]:
    """The signed-in client's presets, or the visitor's session presets, as plain dicts."""
    if user.is_authenticated:
        return [
            {"id": str(p.pk), "name": p.name, "configuration": p.configuration}
            for p in preset_list_for_user(user=user, product=product)
        ]
    return preset_list_for_session(session=session, product=product)


def preset_save_for_session(
    *,
    session,
    product: Product,
    name: str,
    configuration: Configuration,
    on_conflict: str = OnConflict.ASK,
) -> dict:
    """A visitor's presets live in their session until they sign in; names as for clients."""
    name, data = _validated(product, configuration, name)
    presets = session.get(SESSION_PRESETS_KEY, [])
    name = _free_name(
        name, {p.get("name") for p in presets if p.get("product_id") == product.pk}, on_conflict
    )
    presets = [
        p for p in presets if not (p.get("product_id") == product.pk and p.get("name") == name)
    ]
    if sum(1 for p in presets if p.get("product_id") == product.pk) >= MAX_PRESETS_PER_PRODUCT:
        raise PresetError(f"You can keep up to {MAX_PRESETS_PER_PRODUCT} presets per service.")
    preset = {"id": uuid.uuid4().hex, "product_id": product.pk, "name": name, "configuration": data}
    session[SESSION_PRESETS_KEY] = [preset, *presets]
    return preset


def preset_delete_for_session(*, session, preset_id: str) -> bool:
    presets = session.get(SESSION_PRESETS_KEY, [])
    kept = [p for p in presets if p.get("id") != preset_id]
    session[SESSION_PRESETS_KEY] = kept
    return len(kept) != len(presets)


@transaction.atomic
def preset_adopt_session(*, session, user) -> int:
    """On sign-in, move a visitor's session presets onto the account."""
    adopted = 0
    for preset in session.pop(SESSION_PRESETS_KEY, []):
        product = Product.objects.filter(pk=preset.get("product_id")).first()
        if product is None:
            continue
        _, created = ConfigurationPreset.objects.get_or_create(
            user=user,
            product=product,
            name=preset.get("name", "")[:60] or "Saved preset",
            defaults={"configuration": preset.get("configuration", {})},
        )
        adopted += int(created)
    return adopted
