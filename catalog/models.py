from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.models import Orderable, RevisionMixin

from core.models import TimeStampedModel
from core.money import Money

from .search.text import words


class Platform(models.TextChoices):
    INSTAGRAM = "instagram", "Instagram"
    TIKTOK = "tiktok", "TikTok"
    YOUTUBE = "youtube", "YouTube"
    MULTI = "multi", "Multi-platform"


class BillingMode(models.TextChoices):
    ONE_OFF = "one_off", "One-off"
    SUBSCRIPTION = "subscription", "Monthly subscription"


class BillingModes(models.TextChoices):
    """Which billing modes a product offers."""

    ONE_OFF = "one_off", "One-off only"
    SUBSCRIPTION = "subscription", "Subscription only"
    BOTH = "both", "One-off or subscription"


class Category(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=80)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name


class Product(TimeStampedModel):
    slug = models.SlugField(unique=True, max_length=80)
    title = models.CharField(max_length=120)
    summary = models.CharField(max_length=240)
    description = models.TextField(blank=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    platform = models.CharField(max_length=16, choices=Platform.choices)
    currency = models.CharField(max_length=3, default="USD")
    billing_modes = models.CharField(
        max_length=16, choices=BillingModes.choices, default=BillingModes.ONE_OFF
    )
    base_amount = models.PositiveBigIntegerField(
        help_text="One-off price of the base configuration, in minor units (cents)."
    )
    subscription_amount = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        help_text="Monthly price in minor units, when subscriptions are offered.",
    )
    min_quantity = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    max_quantity = models.PositiveIntegerField(default=100, validators=[MaxValueValidator(10_000)])
    quantity_label = models.CharField(max_length=40, default="packages")
    one_account_per_unit = models.BooleanField(
        default=False,
        help_text="Each unit is delivered to its own account: a quantity of 3 asks the customer "
        "for three accounts and makes three deliveries.",
    )
    is_active = models.BooleanField(default=True, db_index=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "title"]
        indexes = [models.Index(fields=["is_active", "position", "title"])]
        constraints = [
            models.CheckConstraint(
                name="product_subscription_has_price",
                condition=Q(billing_modes="one_off") | Q(subscription_amount__isnull=False),
            ),
            models.CheckConstraint(
                name="product_quantity_range",
                condition=Q(min_quantity__lte=models.F("max_quantity")),
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("catalog:product-detail", kwargs={"slug": self.slug})

    @property
    def offered_billing(self) -> list[str]:
        if self.billing_modes == BillingModes.BOTH:
            return [BillingMode.ONE_OFF, BillingMode.SUBSCRIPTION]
        return [self.billing_modes]

    @property
    def default_billing(self) -> str:
        return self.offered_billing[0]

    @property
    def list_price(self) -> Money:
        """The entry price shown in listings (before campaigns)."""
        if self.billing_modes == BillingModes.SUBSCRIPTION:
            return Money(self.subscription_amount, self.currency)
        return Money(self.base_amount, self.currency)


class OptionGroup(models.Model):
    class Selection(models.TextChoices):
        SINGLE = "single", "Choose one"
        MULTIPLE = "multiple", "Choose any"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="option_groups")
    name = models.CharField(max_length=80)
    help_text = models.CharField(max_length=200, blank=True)
    selection = models.CharField(max_length=8, choices=Selection.choices, default=Selection.SINGLE)
    required = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return f"{self.product}: {self.name}"


class Option(models.Model):
    group = models.ForeignKey(OptionGroup, on_delete=models.CASCADE, related_name="options")
    label = models.CharField(max_length=80)
    price_delta_amount = models.BigIntegerField(
        default=0, help_text="Added to the unit price, in minor units; may be negative."
    )
    is_default = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return self.label


class AddOn(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="addons")
    label = models.CharField(max_length=80)
    description = models.CharField(max_length=200, blank=True)
    amount = models.PositiveBigIntegerField(help_text="Added to the unit price, in minor units.")
    subscription_only = models.BooleanField(
        default=False,
        help_text="Offered only with monthly billing (a monthly call makes no sense once).",
    )
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "add-on"

    def __str__(self):
        return self.label


class QuantityTier(models.Model):
    """From `min_quantity` units on, the line gets `discount_percent` off."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="tiers")
    min_quantity = models.PositiveIntegerField(validators=[MinValueValidator(2)])
    discount_percent = models.DecimalField(
        max_digits=5, decimal_places=2, validators=[MinValueValidator(0), MaxValueValidator(90)]
    )

    class Meta:
        ordering = ["min_quantity"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "min_quantity"], name="tier_unique_threshold"
            ),
            models.CheckConstraint(
                name="tier_discount_range",
                condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=90),
            ),
        ]

    def __str__(self):
        return f"{self.min_quantity}+ → {self.discount_percent}% off"


class Campaign(TimeStampedModel):
    class Kind(models.TextChoices):
        PERCENT = "percent", "Percentage off"
        FIXED = "fixed", "Fixed amount off per unit"

    name = models.CharField(max_length=120)
    badge = models.CharField(
        max_length=40, blank=True, help_text="Short label, e.g. 'Spring sale'."
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    amount = models.PositiveBigIntegerField(null=True, blank=True, help_text="Minor units.")
    currency = models.CharField(max_length=3, default="USD")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    is_active = models.BooleanField(default=True)
    products = models.ManyToManyField(Product, blank=True, related_name="campaigns")
    categories = models.ManyToManyField(Category, blank=True, related_name="campaigns")

    class Meta:
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["is_active", "starts_at", "ends_at"])]
        constraints = [
            models.CheckConstraint(
                name="campaign_window", condition=Q(starts_at__lt=models.F("ends_at"))
            ),
            models.CheckConstraint(
                name="campaign_kind_value",
                condition=(
                    Q(kind="percent", percent__isnull=False, percent__gt=0, percent__lte=100)
                )
                | Q(kind="fixed", amount__isnull=False, amount__gt=0),
            ),
        ]

    def __str__(self):
        return self.name


class ConfigurationPreset(TimeStampedModel):
    """A named configuration a signed-in client saved for a product."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="presets"
    )
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="presets")
    name = models.CharField(max_length=60)
    configuration = models.JSONField()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "product", "name"], name="preset_unique_name")
        ]

    def __str__(self):
        return self.name


class SearchEvent(models.Model):
    """One catalog search, kept for trending and zero-result reports."""

    query = models.CharField(max_length=200, db_index=True, help_text="Normalised query.")
    category = models.CharField(max_length=50, blank=True)
    sort = models.CharField(max_length=20, blank=True)
    result_count = models.PositiveIntegerField(help_text="Services found as typed.")
    suggestion = models.CharField(
        max_length=200,
        blank=True,
        help_text="What was searched instead when nothing matched as typed ('did you mean').",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.query!r} ({self.result_count})"


class SuggestionEvent(models.Model):
    """Search-as-you-type: the services suggested for what was typed so far, or (with
    `chosen`) the one the shopper picked from them."""

    query = models.CharField(max_length=200, help_text="Normalised query.")
    suggested = models.JSONField(default=list, help_text="Product ids, in the order shown.")
    chosen = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    position = models.PositiveSmallIntegerField(null=True, blank=True, help_text="1 = first.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.query!r} → {self.chosen_id or len(self.suggested)}"


class PricingVersion(models.Model):
    """One row, bumped in the same transaction as any edit to what prices are computed from
    (catalog, campaigns, bundles). Cached pricing data is keyed by it, so checkout can use
    caches in any number of processes and still never charge a stale price."""

    value = models.PositiveBigIntegerField(default=1)

    def __str__(self):
        return f"pricing version {self.value}"


class Bundle(RevisionMixin, ClusterableModel):
    """A cross-sell: these services bought together save a percentage, once per complete set
    of cart lines marked as the bundle. Edited as a Wagtail snippet; every save keeps a
    revision. (The tables keep the names they had when bundles lived in the CMS.)"""

    class Billing(models.TextChoices):
        ONE_OFF = "one_off", "One-off purchases"
        SUBSCRIPTION = "subscription", "Monthly subscriptions"
        ANY = "any", "Either billing mode"

    headline = models.CharField(max_length=120)
    description = models.CharField(max_length=300, blank=True)
    discount_percent = models.DecimalField(
        max_digits=5, decimal_places=2, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    billing = models.CharField(
        max_length=16,
        choices=Billing.choices,
        default=Billing.ONE_OFF,
        help_text="The saving applies only to cart lines bought this way.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        db_table = "cms_bundle"
        ordering = ["headline"]

    def __str__(self):
        return self.headline

    def accepts(self, billing: str) -> bool:
        return self.billing in (self.Billing.ANY, billing)


class BundleItem(Orderable):
    bundle = ParentalKey(Bundle, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="bundle_items")

    class Meta(Orderable.Meta):
        db_table = "cms_bundleitem"
        constraints = [
            models.UniqueConstraint(fields=["bundle", "product"], name="bundle_product_once")
        ]

    def __str__(self):
        return f"{self.product_id} in {self.bundle_id}"


class ProductSearchDocument(models.Model):
    """What catalog search matches a product by (`catalog.search.index`), rewritten in the
    same transaction as every edit of the product or its category. The fields hold stems;
    each database indexes them its own way (ADR 0015)."""

    product = models.OneToOneField(
        Product, primary_key=True, on_delete=models.CASCADE, related_name="search_document"
    )
    title = models.TextField()
    summary = models.TextField()
    category = models.TextField(help_text="Category and platform.")
    body = models.TextField(help_text="Description.")
    words = models.TextField(help_text="The distinct words, for spelling corrections.")
    position = models.PositiveIntegerField(
        default=0, help_text="The product's position: ranking's tie-break, read from the index."
    )

    def __str__(self):
        return f"search document of {self.product_id}"


class SearchSynonym(models.Model):
    """A word shoppers use for what the catalog calls otherwise ("ig" → "instagram",
    "fans" → "followers"). A search for the word also finds what its meaning finds."""

    word = models.CharField(
        max_length=40,
        unique=True,
        help_text="One word, as shoppers type it (case does not matter).",
    )
    means = models.CharField(
        max_length=120,
        help_text="What the catalog calls it: a word or a few words "
        "(several words must all match, in this order).",
    )

    class Meta:
        ordering = ["word"]

    def __str__(self):
        return f"{self.word} → {self.means}"

    def clean(self):
        word = words(self.word)
        if len(word) != 1:
            raise ValidationError({"word": "One word of letters or digits, without spaces."})
        self.word = word[0]
        if not words(self.means):
            raise ValidationError({"means": "Give at least one word of letters or digits."})
