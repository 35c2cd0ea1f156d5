from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.models import Orderable, RevisionMixin

from catalog.models import Bundle, Product
from core.models import TimeStampedModel

from .assignment import BUCKETS

SPLIT_LOCKED = (
    "This experiment has started: its key, variants and weights decide who saw what, so they "
    "stay as they are (copy and bundles may change). Create a new experiment for a new split."
)


class Experiment(RevisionMixin, ClusterableModel, TimeStampedModel):
    """An A/B test of one storefront page's merchandising, authored as a Wagtail snippet
    (every save a revision). Variants never carry a price: a bundle variant offers a
    bundle that exists, priced by the pricing service like any other."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        RUNNING = "running", "Running"
        STOPPED = "stopped", "Stopped"

    class Goal(models.TextChoices):
        ADD_TO_CART = "add_to_cart", "Add to cart"
        PAID_ORDER = "paid_order", "Paid order"

    key = models.SlugField(
        max_length=60,
        unique=True,
        help_text="Part of every visitor's assignment: changing it reshuffles everyone.",
    )
    name = models.CharField(max_length=120)
    product = models.ForeignKey(
        Product,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="experiments",
        help_text="The product page tested; empty for the home page.",
    )
    goal = models.CharField(max_length=16, choices=Goal.choices, default=Goal.PAID_ORDER)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    stopped_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["product"],
                condition=Q(status="running"),
                name="experiment_one_running_per_product",
            ),
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status="running", product__isnull=True),
                name="experiment_one_running_on_home",
            ),
        ]

    def __str__(self):
        return self.name

    def weights(self) -> list[tuple[str, int]]:
        """(name, weight) in the editor's order, the order assignment walks."""
        return [(v.name, v.weight) for v in self.variants.order_by("sort_order", "pk")]

    @property
    def split_locked(self) -> bool:
        """Once started, the key and the weights decide who saw what: they no longer change."""
        return self.status != self.Status.DRAFT

    def clean(self):
        if self.pk and self.split_locked:
            stored = Experiment.objects.filter(pk=self.pk).values_list("key", flat=True).first()
            if stored is not None and stored != self.key:
                raise ValidationError({"key": SPLIT_LOCKED})


class Variant(Orderable):
    """One arm of an experiment: what its visitors see instead of the page as published
    (the control shows the page unchanged)."""

    experiment = ParentalKey(Experiment, on_delete=models.CASCADE, related_name="variants")
    name = models.SlugField(max_length=40, help_text="Shown in results, e.g. control, bundle.")
    is_control = models.BooleanField(default=False)
    weight = models.PositiveIntegerField(
        default=50, help_text="Share of the traffic, in parts of the variants' total."
    )
    bundle = models.ForeignKey(
        Bundle,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="experiment_variants",
        help_text="Offer this bundle first on the page.",
    )
    hero_heading = models.CharField(max_length=120, blank=True)
    hero_text = models.CharField(max_length=300, blank=True)
    featured_product = models.ForeignKey(
        Product,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Home page: show this service first among the featured ones.",
    )

    class Meta(Orderable.Meta):
        constraints = [
            models.UniqueConstraint(fields=["experiment", "name"], name="variant_name_once")
        ]

    def __str__(self):
        return f"{self.name} of {self.experiment_id}"

    def clean(self):
        if self.is_control and (
            self.bundle_id or self.hero_heading or self.hero_text or self.featured_product_id
        ):
            raise ValidationError("The control shows the page as published: leave it empty.")
        if self.weight > BUCKETS:
            raise ValidationError({"weight": f"At most {BUCKETS}."})
        experiment = self.experiment if self.experiment_id else None
        if experiment is not None and experiment.split_locked:
            stored = Variant.objects.filter(pk=self.pk).values_list("name", "weight").first()
            if stored != (self.name, self.weight):
                raise ValidationError(SPLIT_LOCKED)


class UnitRecord(models.Model):
    """Something one unit (visitor or account) did in an experiment, at most once."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="+")
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="%(class)ss")
    unit = models.CharField(max_length=80)

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(fields=["experiment", "unit"], name="%(class)s_once_per_unit")
        ]


class Exposure(UnitRecord):
    """A visitor (or account) shown an experiment's page, once per experiment: the first
    variant seen is the one any later conversion counts for."""

    seen_at = models.DateTimeField()

    def __str__(self):
        return f"{self.unit} saw {self.variant_id}"


class Conversion(UnitRecord):
    """An exposed unit reaching the experiment's goal, once per unit: its first add to cart,
    or its first paid order (whose refunds subtract; refunded in full, it counts no more)."""

    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    currency = models.CharField(max_length=3, blank=True)
    amount = models.PositiveBigIntegerField(default=0)
    refunded_amount = models.PositiveBigIntegerField(default=0)
    converted_at = models.DateTimeField()

    def __str__(self):
        return f"{self.unit} converted on {self.variant_id}"


class BundleProposal(TimeStampedModel):
    """Two services bought together more often than chance, found in paid orders by the
    proposal job (`experiments.proposals`), with its evidence. Staff accept it (a draft
    bundle to edit and publish) or dismiss it; the job never proposes the pair again."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        ACCEPTED = "accepted", "Accepted"
        DISMISSED = "dismissed", "Dismissed"

    # The pair in id order, so the unique constraint holds it once whichever came first.
    product_a = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    product_b = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    orders_together = models.PositiveIntegerField(help_text="Paid orders holding both.")
    orders_total = models.PositiveIntegerField(help_text="Paid orders in the period mined.")
    support = models.DecimalField(
        max_digits=5, decimal_places=4, help_text="Share of the paid orders holding both."
    )
    confidence_a_b = models.DecimalField(
        max_digits=5, decimal_places=4, help_text="Share of the orders with A that hold B."
    )
    confidence_b_a = models.DecimalField(
        max_digits=5, decimal_places=4, help_text="Share of the orders with B that hold A."
    )
    lift = models.DecimalField(
        max_digits=12, decimal_places=4, help_text="How many times more often than chance."
    )
    mined_since = models.DateTimeField()
    mined_until = models.DateTimeField()
    searches = models.JSONField(
        default=list,
        blank=True,
        help_text="Trending and zero-result searches naming either service: "
        "[{'query', 'searches', 'found_nothing'}].",
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.NEW, editable=False
    )
    bundle = models.ForeignKey(
        Bundle,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        help_text="The draft bundle made when staff accepted the proposal.",
    )
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["product_a", "product_b"], name="proposal_pair_once"),
            models.CheckConstraint(
                condition=Q(product_a__lt=F("product_b")), name="proposal_pair_in_id_order"
            ),
        ]

    def __str__(self):
        return f"{self.product_a} + {self.product_b}"

    @property
    def confidence(self) -> Decimal:
        return max(self.confidence_a_b, self.confidence_b_a)

    @property
    def searches_summary(self) -> str:
        return ", ".join(
            f"{s['query']} ({s['searches']}{', found nothing' if s['found_nothing'] else ''})"
            for s in self.searches
        )
