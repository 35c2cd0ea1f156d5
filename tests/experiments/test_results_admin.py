"""Staff read results in the Wagtail admin and act there: start, stop, promote a winner
(published through a normal page revision, for every visitor)."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from cms.models import HomePage, ProductMarketingPage
from core.models import AuditEntry
from experiments.models import Experiment
from experiments.services import conversion_record, exposures_record
from tests.catalog.factories import ProductFactory
from tests.cms.factories import home_page

from .conftest import PITCH
from .factories import bundle_of, experiment, running

pytestmark = pytest.mark.django_db
BASE = "/cms-admin/snippets/experiments/experiment"


def seed(experiment, *, control=(1000, 200), pitch=(1000, 250)):
    """Exposures and (order-less) conversions: the worked example of the statistics tests."""
    variants = {v.name: v for v in experiment.variants.all()}
    now = timezone.now()
    for name, (visitors, converted) in (("control", control), ("pitch", pitch)):
        exposures_record(
            [(experiment.pk, variants[name].pk, f"visitor:{name}{n}", now) for n in range(visitors)]
        )
        for n in range(converted):
            conversion_record(experiment_id=experiment.pk, units=[f"visitor:{name}{n}"])


def test_the_listing_links_to_results_and_they_show_the_comparison(admin_client, pitch_test):
    seed(pitch_test)
    listing = admin_client.get(f"{BASE}/").content.decode()
    assert f"{BASE}/results/{pitch_test.pk}/" in listing
    page = admin_client.get(f"{BASE}/results/{pitch_test.pk}/").content.decode()
    assert "20.0%" in page and "25.0%" in page  # conversion rates
    assert "+5.0% (+1.3% to +8.7%)" in page  # difference and its 95% interval
    assert "0.007" in page  # p-value
    assert "99.6%" in page  # chance to beat control
    assert "Sample too small" not in page


def test_a_small_sample_is_flagged(admin_client, pitch_test):
    seed(pitch_test, control=(20, 2), pitch=(20, 5))
    page = admin_client.get(f"{BASE}/results/{pitch_test.pk}/").content.decode()
    assert "Sample too small" in page


def test_staff_start_and_stop_from_the_results(admin_client, product):
    draft = experiment(
        product, key="draft", variants=(("control", True, 1), ("b", False, 1, PITCH))
    )
    admin_client.post(f"{BASE}/results/{draft.pk}/start/")
    draft.refresh_from_db()
    assert draft.status == "running"
    page = admin_client.post(f"{BASE}/results/{draft.pk}/stop/", follow=True).content.decode()
    draft.refresh_from_db()
    assert draft.status == "stopped" and "is stopped" in page
    assert admin_client.post(f"{BASE}/results/{draft.pk}/publish-all/").status_code == 404


def test_staff_without_the_permission_cannot_act(pitch_test):
    viewer = get_user_model().objects.create_user("viewer", password="pw-123456", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client = Client()
    client.force_login(viewer)
    refused = client.post(f"{BASE}/results/{pitch_test.pk}/stop/")
    # Wagtail answers a refused admin action by sending the user back to the dashboard.
    assert (refused.status_code, refused["Location"]) == (302, "/cms-admin/")
    pitch_test.refresh_from_db()
    assert pitch_test.status == "running"


def test_promoting_the_winner_publishes_it_for_every_visitor(admin_client, pitch_test, product):
    home_page()  # the product's new marketing page goes under it
    seed(pitch_test)
    winner = pitch_test.variants.get(name="pitch")
    response = admin_client.post(
        f"{BASE}/results/{pitch_test.pk}/promote/", {"variant": winner.pk}, follow=True
    )
    assert "is published" in response.content.decode()
    pitch_test.refresh_from_db()
    assert pitch_test.status == Experiment.Status.STOPPED
    page = ProductMarketingPage.objects.get(product=product)
    assert page.live and (page.headline, page.tagline) == (
        PITCH["hero_heading"],
        PITCH["hero_text"],
    )
    assert page.revisions.count() == 1 and page.live_revision is not None
    assert AuditEntry.objects.filter(action="experiment.promote").count() == 1
    for _ in range(6):  # every visitor, whatever the hash would have drawn
        body = Client().get("/products/insta/").content.decode()
        assert PITCH["hero_heading"] in body and PITCH["hero_text"] in body


def test_promoting_a_bundle_offers_it_first_to_everyone(admin_client, product):
    home_page()
    early = bundle_of(product, ProductFactory(), headline="Aaa starter pair")
    offered = bundle_of(product, ProductFactory(), headline="Zzz creator pair")
    test = running(
        product,
        key="bundle",
        variants=(("control", True, 1), ("bundle", False, 1, {"bundle": offered})),
    )
    admin_client.post(
        f"{BASE}/results/{test.pk}/promote/", {"variant": test.variants.get(name="bundle").pk}
    )
    assert ProductMarketingPage.objects.get(product=product).featured_bundle == offered
    for _ in range(4):
        body = Client().get("/products/insta/").content.decode()
        assert body.index("Zzz creator pair") < body.index("Aaa starter pair")
    assert early.is_active


def test_promoting_on_the_home_page_publishes_its_hero(admin_client):
    home_page(hero_heading="Growth services you can watch happen.")
    test = running(None, key="home", variants=(("control", True, 1), ("b", False, 1, PITCH)))
    admin_client.post(
        f"{BASE}/results/{test.pk}/promote/", {"variant": test.variants.get(name="b").pk}
    )
    home = HomePage.objects.get()
    assert home.hero_heading == PITCH["hero_heading"] and home.revisions.count() == 2
    assert all(PITCH["hero_heading"] in Client().get("/").content.decode() for _ in range(4))


def test_promoting_the_control_only_ends_the_experiment(admin_client, pitch_test, product):
    control = pitch_test.variants.get(name="control")
    admin_client.post(f"{BASE}/results/{pitch_test.pk}/promote/", {"variant": control.pk})
    pitch_test.refresh_from_db()
    assert pitch_test.status == "stopped"
    assert not ProductMarketingPage.objects.filter(product=product).exists()
    assert PITCH["hero_heading"] not in Client().get("/products/insta/").content.decode()


def test_a_draft_or_a_foreign_variant_is_not_promoted(admin_client, product, pitch_test):
    draft = experiment(ProductFactory(), key="draft")
    response = admin_client.post(
        f"{BASE}/results/{draft.pk}/promote/", {"variant": draft.variants.last().pk}, follow=True
    )
    assert "start the experiment first" in response.content.decode()
    response = admin_client.post(
        f"{BASE}/results/{pitch_test.pk}/promote/",
        {"variant": draft.variants.last().pk},
        follow=True,
    )
    assert "not part of this experiment" in response.content.decode()
    pitch_test.refresh_from_db()
    draft.refresh_from_db()
    assert (pitch_test.status, draft.status) == ("running", "draft")


def test_promoting_a_featured_order_reorders_the_home_page(admin_client):
    first, second = ProductFactory(title="Aaa One"), ProductFactory(title="Bbb Two")
    home_page(featured=(first, second))
    test = running(
        None,
        key="order",
        variants=(("control", True, 1), ("b", False, 1, {"featured_product": second})),
    )
    admin_client.post(
        f"{BASE}/results/{test.pk}/promote/", {"variant": test.variants.get(name="b").pk}
    )
    home = HomePage.objects.get()
    assert [item.product for item in home.featured.all()] == [second, first]
    for _ in range(4):
        body = Client().get("/").content.decode()
        assert body.index("Bbb Two") < body.index("Aaa One")
