from django.contrib import admin

from core.admin import money_display

from .models import (
    AddOn,
    Campaign,
    Category,
    ConfigurationPreset,
    Option,
    OptionGroup,
    QuantityTier,
    SearchEvent,
    SearchSynonym,
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    prepopulated_fields = {"slug": ["name"]}


class OptionGroupInline(admin.TabularInline):
    model = OptionGroup
    extra = 0
    show_change_link = True


class AddOnInline(admin.TabularInline):
    model = AddOn
    extra = 0


class QuantityTierInline(admin.TabularInline):
    model = QuantityTier
    extra = 0


class ProductAdmin(admin.ModelAdmin):
    """Registered by `backoffice`, which adds the product's fulfillment plan to the page."""

    list_display = [
        "title",
        "category",
        "platform",
        "billing_modes",
        money_display("base_amount", description="Price"),
        "is_active",
        "position",
    ]
    list_filter = ["is_active", "platform", "category", "billing_modes"]
    list_editable = ["is_active", "position"]
    search_fields = ["title", "slug", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    list_select_related = ["category"]
    inlines = [OptionGroupInline, AddOnInline, QuantityTierInline]


class OptionInline(admin.TabularInline):
    model = Option
    extra = 0


@admin.register(OptionGroup)
class OptionGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "product", "selection", "required"]
    list_select_related = ["product"]
    search_fields = ["name", "product__title"]
    inlines = [OptionInline]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "percent",
        money_display("amount"),
        "starts_at",
        "ends_at",
        "is_active",
    ]
    list_filter = ["is_active", "kind"]
    filter_horizontal = ["products", "categories"]


@admin.register(ConfigurationPreset)
class ConfigurationPresetAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "product", "created_at"]
    list_select_related = ["user", "product"]
    raw_id_fields = ["user", "product"]


@admin.register(SearchEvent)
class SearchEventAdmin(admin.ModelAdmin):
    list_display = ["query", "category", "sort", "result_count", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["query"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SearchSynonym)
class SearchSynonymAdmin(admin.ModelAdmin):
    """Words shoppers use for what the catalog calls otherwise; the next search uses them."""

    list_display = ["word", "means"]
    search_fields = ["word", "means"]
