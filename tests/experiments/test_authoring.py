"""Staff author an experiment as a Wagtail snippet; every save keeps a revision."""

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model

from experiments.models import Experiment
from tests.admin_forms import form_data
from tests.catalog.factories import ProductFactory

from .factories import experiment, running

pytestmark = pytest.mark.django_db
ADD = "/cms-admin/snippets/experiments/experiment/add/"


@pytest.fixture
def editor(client):
    user = get_user_model().objects.create_superuser("editor", "e@example.com", "pass-123-word")
    client.force_login(user)
    return client


def variant(index: int, name: str, *, control: bool = False, weight: int = 50) -> dict:
    row = {
        f"variants-{index}-name": name,
        f"variants-{index}-weight": str(weight),
        f"variants-{index}-ORDER": str(index + 1),
        f"variants-{index}-id": "",
    }
    if control:
        row[f"variants-{index}-is_control"] = "on"
    return row


def test_staff_create_an_experiment_with_its_variants_as_a_draft(editor):
    product = ProductFactory(title="Insta Boost")
    data = form_data("name", BeautifulSoup(editor.get(ADD).content, "html.parser"))
    data.update(
        {"name": "Boost hero copy", "key": "boost-hero", "product": str(product.pk)},
        **{"goal": "paid_order", "variants-TOTAL_FORMS": "2"},
        **variant(0, "control", control=True),
        **variant(1, "urgent", weight=30),
    )
    data["variants-1-hero_heading"] = "Grow this week"
    response = editor.post(ADD, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    experiment = Experiment.objects.get(key="boost-hero")
    assert experiment.status == Experiment.Status.DRAFT  # staff start it; saving never does
    assert experiment.weights() == [("control", 50), ("urgent", 30)]
    assert experiment.variants.get(name="urgent").hero_heading == "Grow this week"
    assert experiment.revisions.count() == 1


def test_an_experiment_needs_two_variants(editor):
    data = form_data("name", BeautifulSoup(editor.get(ADD).content, "html.parser"))
    data.update({"name": "Lonely", "key": "lonely", "goal": "paid_order"})
    data.update({"variants-TOTAL_FORMS": "1", **variant(0, "control", control=True)})
    response = editor.post(ADD, data)
    assert response.status_code == 200  # the form again, with the error
    assert not Experiment.objects.exists()


def edit_form(editor, experiment) -> tuple[str, dict]:
    url = f"/cms-admin/snippets/experiments/experiment/edit/{experiment.pk}/"
    return url, form_data("name", BeautifulSoup(editor.get(url).content, "html.parser"))


def test_a_started_experiment_keeps_its_split_but_its_copy_may_change(editor):
    started = running(
        ProductFactory(), key="locked", variants=(("control", True, 50), ("b", False, 50))
    )
    url, data = edit_form(editor, started)
    data["variants-1-weight"] = "80"
    response = editor.post(url, data)
    assert (
        response.status_code == 200 and "This experiment has started" in response.content.decode()
    )
    url, data = edit_form(editor, started)
    data["key"] = "reshuffled"
    assert editor.post(url, data).status_code == 200
    url, data = edit_form(editor, started)
    data["variants-1-hero_heading"] = "Fresh copy"
    assert editor.post(url, data).status_code == 302
    started.refresh_from_db()
    assert started.key == "locked" and started.weights() == [("control", 50), ("b", 50)]
    assert started.variants.get(name="b").hero_heading == "Fresh copy"


def test_a_variant_of_a_started_experiment_cannot_be_removed(editor):
    three = (("control", True, 40), ("b", False, 30), ("c", False, 30))
    draft = experiment(ProductFactory(), key="draft-three", variants=three)
    url, data = edit_form(editor, draft)
    data["variants-2-DELETE"] = "1"
    assert editor.post(url, data).status_code == 302  # a draft's variants may go
    assert draft.weights() == [("control", 40), ("b", 30)]

    started = running(ProductFactory(), key="started-three", variants=three)
    url, data = edit_form(editor, started)
    data["variants-2-DELETE"] = "1"
    response = editor.post(url, data)
    assert (
        response.status_code == 200 and "This experiment has started" in response.content.decode()
    )
    assert started.weights() == [("control", 40), ("b", 30), ("c", 30)]
