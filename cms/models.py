from django.db import models
from django.shortcuts import redirect
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from catalog.selectors import category_list, pricing_version
from core.page_cache import is_stateless_visitor
from experiments.storefront import mark_private, variant_shown

from .blocks import HOME_BLOCKS, MARKETING_BLOCKS


class HomePage(Page):
    """The storefront's home page: hero, featured services, and free-form sections."""

    hero_heading = models.CharField(max_length=120, default="Growth services you can watch happen.")
    hero_text = models.TextField(blank=True, max_length=400)
    hero_image = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hero_cta_label = models.CharField(max_length=40, default="Browse services")
    body = StreamField(HOME_BLOCKS, blank=True, use_json_field=True)

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["cms.ProductMarketingPage"]
    max_count = 1

    @classmethod
    def can_exist_under(cls, parent):
        # Directly under the tree's root only, never below another page.
        return parent.is_root() and super().can_exist_under(parent)

    content_panels = [
        *Page.content_panels,
        MultiFieldPanel(
            [
                FieldPanel("hero_heading"),
                FieldPanel("hero_text"),
                FieldPanel("hero_image"),
                FieldPanel("hero_cta_label"),
            ],
            heading="Hero",
        ),
        InlinePanel("featured", label="Featured services", max_num=12),
        FieldPanel("body"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("hero_heading"),
        index.SearchField("body"),
    ]

    class Meta:
        verbose_name = "home page"

    def serve(self, request, *args, **kwargs):
        response = super().serve(request, *args, **kwargs)
        return mark_private(response, response.context_data["shown"])

    def get_context(self, request, *args, **kwargs):
        """The published hero, or the one of the experiment's variant this visitor is shown."""
        context = super().get_context(request, *args, **kwargs)
        version = pricing_version(recent=is_stateless_visitor(request))
        featured = self.featured.select_related("product__category").filter(product__is_active=True)
        context["categories"] = category_list(version=version)
        shown = context["shown"] = variant_shown(request, version=version, product_id=None)
        variant = shown.variant if shown else None
        first = variant.featured_product_id if variant else None
        context["featured_products"] = sorted(
            (item.product for item in featured), key=lambda product: product.pk != first
        )
        context["hero_heading"] = (variant and variant.hero_heading) or self.hero_heading
        context["hero_text"] = (variant and variant.hero_text) or self.hero_text
        return context


class HomeFeaturedProduct(Orderable):
    page = ParentalKey(HomePage, on_delete=models.CASCADE, related_name="featured")
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")

    panels = [FieldPanel("product")]


class ProductMarketingPage(Page):
    """Marketing content for one catalog product, merged into its storefront page."""

    product = models.OneToOneField(
        "catalog.Product", on_delete=models.PROTECT, related_name="marketing_page"
    )
    headline = models.CharField(
        max_length=120, blank=True, help_text="A promise shown above the summary."
    )
    tagline = models.CharField(
        max_length=200, blank=True, help_text="Replaces the catalog summary."
    )
    featured_bundle = models.ForeignKey(
        "catalog.Bundle",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Offered first, as the recommended bundle (it must hold this product).",
    )
    body = StreamField(MARKETING_BLOCKS, blank=True, use_json_field=True)

    parent_page_types = ["cms.HomePage"]
    subpage_types = []

    content_panels = [
        *Page.content_panels,
        FieldPanel("product"),
        FieldPanel("headline"),
        FieldPanel("tagline"),
        FieldPanel("featured_bundle"),
        FieldPanel("body"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("tagline"), index.SearchField("body")]

    class Meta:
        verbose_name = "product marketing page"

    def full_clean(self, *args, **kwargs):
        # The slug is always product-<product slug>, whatever the title suggested.
        if self.product_id:
            self.slug = f"product-{self.product.slug}"
        super().full_clean(*args, **kwargs)

    def serve(self, request, *args, **kwargs):
        """The storefront product page is the canonical place for this content."""
        return redirect(self.product.get_absolute_url(), permanent=False)

    # The storefront product page, `cms.views.product_page_response`; set by CmsConfig.ready()
    # because the views read pages through the selectors, which import this module.
    render_product_page = None

    def serve_preview(self, request, mode_name):
        return self.render_product_page(request, self.product.slug, marketing=self)


@register_setting(icon="site")
class SiteSettings(BaseSiteSetting):
    support_email = models.EmailField(default="support@smplat.localhost")
    footer_text = models.CharField(
        max_length=300, default="Growth services with transparent delivery."
    )
    instagram_url = models.URLField(blank=True)
    tiktok_url = models.URLField(blank=True)
    youtube_url = models.URLField(blank=True)

    panels = [
        FieldPanel("support_email"),
        FieldPanel("footer_text"),
        MultiFieldPanel(
            [FieldPanel("instagram_url"), FieldPanel("tiktok_url"), FieldPanel("youtube_url")],
            heading="Social links",
        ),
    ]

    class Meta:
        verbose_name = "site settings"
