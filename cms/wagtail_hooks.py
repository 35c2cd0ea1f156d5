from django.urls import path
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, InlinePanel, ObjectList
from wagtail.admin.widgets import ListingButton
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from catalog.models import Bundle
from experiments.models import Experiment

from . import experiment_admin
from .proposals import BundleProposalViewSet


class BundleViewSet(SnippetViewSet):
    """Bundles are catalog pricing data; staff edit them here, and every save is a revision."""

    model = Bundle
    icon = "link"
    menu_label = "Bundles"
    menu_order = 200
    add_to_admin_menu = True
    list_display = ["headline", "discount_percent", "billing", "is_active"]
    list_filter = ["is_active", "billing"]
    search_fields = ["headline"]
    panels = [
        FieldPanel("headline"),
        FieldPanel("description"),
        FieldPanel("discount_percent"),
        FieldPanel("billing"),
        FieldPanel("is_active"),
        InlinePanel(
            "items", label="Services", min_num=2, max_num=6, panels=[FieldPanel("product")]
        ),
    ]


register_snippet(BundleViewSet)


class ExperimentViewSet(SnippetViewSet):
    """Merchandising experiments: staff author the variants here (every save a revision);
    starting and stopping go through `experiments.services.experiment_transition`."""

    model = Experiment
    icon = "pick"
    menu_label = "Experiments"
    menu_order = 210
    add_to_admin_menu = True
    list_display = ["name", "product", "goal", "status", "started_at"]
    list_filter = ["status", "goal"]
    search_fields = ["name", "key"]
    edit_handler = ObjectList(
        [
            FieldPanel("name"),
            FieldPanel("key"),
            FieldPanel("product"),
            FieldPanel("goal"),
            InlinePanel(
                "variants",
                label="Variants",
                min_num=2,
                panels=[
                    FieldPanel("name"),
                    FieldPanel("is_control"),
                    FieldPanel("weight"),
                    FieldPanel("bundle"),
                    FieldPanel("hero_heading"),
                    FieldPanel("hero_text"),
                    FieldPanel("featured_product"),
                ],
            ),
        ],
        base_form_class=experiment_admin.ExperimentForm,
    )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("results/<int:pk>/", experiment_admin.results, name="results"),
            path(
                "results/<int:pk>/<str:action>/",
                experiment_admin.act,
                name="act",
            ),
        ]


register_snippet(ExperimentViewSet)


@hooks.register("register_snippet_listing_buttons")
def experiment_results_button(snippet, user, next_url=None):
    if isinstance(snippet, Experiment):
        yield ListingButton(
            "Results", experiment_admin.results_url(snippet.pk), icon_name="view", priority=5
        )


register_snippet(BundleProposalViewSet)
