from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from catalog.models import (
    AddOn,
    BillingModes,
    Campaign,
    Category,
    Option,
    OptionGroup,
    Product,
    QuantityTier,
)


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"category-{n}")
    name = factory.Sequence(lambda n: f"Category {n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    slug = factory.Sequence(lambda n: f"product-{n}")
    title = factory.Sequence(lambda n: f"Product {n}")
    summary = "A growth service."
    category = factory.SubFactory(CategoryFactory)
    platform = "instagram"
    base_amount = 1000
    currency = "USD"
    position = factory.Sequence(lambda n: n)


class OptionGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OptionGroup

    product = factory.SubFactory(ProductFactory)
    name = factory.Sequence(lambda n: f"Group {n}")
    selection = OptionGroup.Selection.SINGLE
    required = True


class OptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Option

    group = factory.SubFactory(OptionGroupFactory)
    label = factory.Sequence(lambda n: f"Option {n}")
    price_delta_amount = 0


class AddOnFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AddOn

    product = factory.SubFactory(ProductFactory)
    label = factory.Sequence(lambda n: f"Add-on {n}")
    amount = 500


class QuantityTierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QuantityTier

    product = factory.SubFactory(ProductFactory)
    min_quantity = 5
    discount_percent = Decimal("10")


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Campaign {n}")
    kind = Campaign.Kind.PERCENT
    percent = Decimal("10")
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    ends_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))

    @factory.post_generation
    def products(self, create, extracted, **kwargs):
        if create and extracted:
            self.products.set(extracted)

    @factory.post_generation
    def categories(self, create, extracted, **kwargs):
        if create and extracted:
            self.categories.set(extracted)


def configurable_product(**kwargs) -> Product:
    """A product with a required size group, an optional extras group, an add-on and two tiers."""
    product = ProductFactory(**kwargs)
    size = OptionGroupFactory(product=product, name="Size", position=0)
    OptionFactory(group=size, label="Small", price_delta_amount=0, position=0)
    OptionFactory(group=size, label="Large", price_delta_amount=2500, position=1)
    extras = OptionGroupFactory(
        product=product,
        name="Extras",
        selection=OptionGroup.Selection.MULTIPLE,
        required=False,
        position=1,
    )
    OptionFactory(group=extras, label="Targeting", price_delta_amount=300, position=0)
    OptionFactory(group=extras, label="Priority", price_delta_amount=700, position=1)
    AddOnFactory(product=product, label="Report", amount=400)
    QuantityTierFactory(product=product, min_quantity=3, discount_percent=Decimal("5"))
    QuantityTierFactory(product=product, min_quantity=10, discount_percent=Decimal("15"))
    return product


def per_account_product(**kwargs) -> Product:
    """Instagram growth sold per account (one delivery each), one-off or monthly, with a
    monthly-only strategy call."""
    product = configurable_product(
        **{
            "slug": "instagram-growth",
            "title": "Instagram Growth",
            "platform": "instagram",
            "base_amount": 4_900,
            "billing_modes": BillingModes.BOTH,
            "subscription_amount": 3_900,
            "quantity_label": "accounts",
            "max_quantity": 12,
            "one_account_per_unit": True,
            **kwargs,
        }
    )
    AddOnFactory(
        product=product, label="Monthly strategy call", amount=4_900, subscription_only=True
    )
    return product
