"""Variants on the storefront: decided on the server from the visitor cookie or the account,
the same on every request and device, never leaking through a cache, and gone for everyone
once the experiment stops."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from core.visitors import COOKIE
from experiments.assignment import variant_for
from experiments.exceptions import ExperimentNotReady
from experiments.models import Experiment, Exposure
from experiments.services import experiment_transition
from tests.catalog.factories import ProductFactory
from tests.cms.factories import home_page

from .conftest import PITCH
from .factories import bundle_of, experiment, running

pytestmark = pytest.mark.django_db

URL = "/products/insta/"


def expected(experiment, client) -> str:
    unit = f"visitor:{client.cookies[COOKIE].value}"
    return variant_for(experiment_key=experiment.key, unit=unit, weights=experiment.weights())


def shows_pitch(response) -> bool:
    return PITCH["hero_heading"] in response.content.decode()


def test_a_fresh_visitor_gets_a_cookie_and_keeps_its_variant(pitch_test):
    client = Client()
    first = client.get(URL)
    assert first.status_code == 200
    cookie = first.cookies[COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    variant = expected(pitch_test, client)
    assert shows_pitch(first) == (variant == "pitch")
    for _ in range(3):
        again = client.get(URL)
        assert shows_pitch(again) == (variant == "pitch")
        assert COOKIE not in again.cookies  # issued once
    assert list(Exposure.objects.values_list("unit", "variant__name")) == [
        (f"visitor:{cookie.value}", variant)
    ]


def test_visitors_split_and_cached_pages_never_show_one_variant_to_another(pitch_test):
    clients = [Client() for _ in range(24)]
    seen = {}
    for _ in range(2):  # the second round is answered from warm caches
        for n, client in enumerate(clients):
            response = client.get(URL)
            assert "private" in response["Cache-Control"]
            shown = shows_pitch(response)
            assert shown == (expected(pitch_test, client) == "pitch")
            assert seen.setdefault(n, shown) == shown
    assert set(seen.values()) == {True, False}  # 24 visitors: both variants shown
    # The listing carries no variant: every visitor gets the same page.
    listings = {client.get("/catalog/").content for client in clients[:4]}
    assert len(listings) == 1


def test_a_signed_in_client_keeps_its_variant_on_a_second_device(pitch_test):
    account = get_user_model().objects.create_user("dana", password="pw-123456")
    laptop, phone = Client(), Client()
    for device in (laptop, phone):
        device.force_login(account)
    unit = f"account:{account.pk}"
    variant = variant_for(experiment_key="pitch", unit=unit, weights=pitch_test.weights())
    assert {shows_pitch(laptop.get(URL)), shows_pitch(phone.get(URL))} == {variant == "pitch"}
    assert list(Exposure.objects.values_list("unit", "variant__name")) == [(unit, variant)]


def test_stopping_reverts_every_visitor_at_once(pitch_test):
    clients = [Client() for _ in range(12)]
    assert any(shows_pitch(client.get(URL)) for client in clients)
    experiment_transition(experiment_id=pitch_test.pk, to_status=Experiment.Status.STOPPED)
    after = [client.get(URL) for client in clients]
    assert not any(shows_pitch(response) for response in after)
    assert all("private" not in response.get("Cache-Control", "") for response in after)


def test_staff_preview_any_variant_without_an_exposure(pitch_test, admin_client):
    pitch = pitch_test.variants.get(name="pitch")
    control = pitch_test.variants.get(name="control")
    assert shows_pitch(admin_client.get(URL, {"variant": pitch.pk}))
    assert not shows_pitch(admin_client.get(URL, {"variant": control.pk}))
    assert not Exposure.objects.filter(unit__startswith="account:").exists()
    # A visitor cannot choose: the parameter is ignored and the hash decides.
    visitor = Client()
    response = visitor.get(URL, {"variant": pitch.pk})
    assert shows_pitch(response) == (expected(pitch_test, visitor) == "pitch")


def test_staff_preview_a_draft_before_it_starts(product, admin_client):
    draft = experiment(
        product, key="draft", variants=(("control", True, 50), ("b", False, 50, PITCH))
    )
    assert shows_pitch(admin_client.get(URL, {"variant": draft.variants.get(name="b").pk}))
    assert not shows_pitch(Client().get(URL))


def test_a_bundle_variant_offers_its_bundle_first_and_recommended(product):
    other, third = ProductFactory(title="TikTok Views"), ProductFactory(title="Reels Pack")
    first = bundle_of(product, other, headline="Aaa starter pair")
    offered = bundle_of(product, third, headline="Zzz creator pair")
    bundle_test = running(
        product,
        key="bundle",
        variants=(("control", True, 50), ("bundle", False, 50, {"bundle": offered})),
    )
    for _ in range(20):
        client = Client()
        body = client.get(URL).content.decode()
        if expected(bundle_test, client) == "bundle":
            assert body.index("Zzz creator pair") < body.index("Aaa starter pair")
            assert "Recommended" in body
        else:
            assert body.index("Aaa starter pair") < body.index("Zzz creator pair")
            assert "Recommended" not in body
    assert first.pk != offered.pk


def test_the_home_page_shows_its_hero_variant():
    home_page(hero_heading="Growth services you can watch happen.")
    home_test = running(
        None, key="home-hero", variants=(("control", True, 1), ("b", False, 1, PITCH))
    )
    shown = set()
    for _ in range(16):
        client = Client()
        body = client.get("/").content.decode()
        is_b = expected(home_test, client) == "b"
        assert (PITCH["hero_heading"] in body) == is_b
        assert ("Growth services you can watch happen." in body) != is_b
        shown.add(is_b)
    assert shown == {True, False}


def test_a_home_variant_shows_its_featured_service_first():
    first, second, third = (ProductFactory(title=t) for t in ("Aaa One", "Bbb Two", "Ccc Three"))
    home_page(featured=(first, second, third))
    home_test = running(
        None,
        key="featured",
        variants=(("control", True, 1), ("b", False, 1, {"featured_product": third})),
    )
    for _ in range(12):
        client = Client()
        body = client.get("/").content.decode()
        order = sorted(("Aaa One", "Bbb Two", "Ccc Three"), key=body.index)
        if expected(home_test, client) == "b":
            assert order == ["Ccc Three", "Aaa One", "Bbb Two"]
        else:
            assert order == ["Aaa One", "Bbb Two", "Ccc Three"]


def test_featured_order_is_a_home_page_variant_only(product):
    with pytest.raises(ExperimentNotReady, match="only the home page"):
        running(
            product,
            key="nope",
            variants=(("control", True, 1), ("b", False, 1, {"featured_product": product})),
        )
