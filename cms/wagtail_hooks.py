from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import Bundle


class BundleViewSet(SnippetViewSet):
    model = Bundle
    icon = "link"
    menu_label = "Bundles"
    menu_order = 200
    add_to_admin_menu = True
    list_display = ["headline", "discount_percent", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["headline"]


register_snippet(BundleViewSet)
