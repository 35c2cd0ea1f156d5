"""The pricing service: the only place a price is computed.

The storefront prices one configuration with `price_configuration`; a cart is
priced by `price_cart`, which checkout, order placement and invoices copy. The
browser never supplies a price. Order of rules, per line:

    unit      = base (one-off or monthly) + chosen option deltas + add-ons
    gross     = unit × quantity
    tier      = gross × tier percent            (highest tier reached)
    campaign  = best running campaign on gross − tier
    total     = gross − tier − campaign         (never below zero)
    bundle    = total × bundle percent          (lines marked as a bundle, per complete set)

Percentages round half up to a whole minor unit.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from django.db.models import (
    BigIntegerField,
    Case,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Least, Round
from django.utils import timezone

from core.exceptions import ApplicationError
from core.money import Money

from .exceptions import InvalidConfiguration, ProductUnavailable
from .models import BillingMode, Campaign, OptionGroup, Product

MAX_SELECTED_IDS = 50


@dataclass(frozen=True)
class Configuration:
    """What a customer chose; ids only, validated against the product by pricing."""

    option_ids: tuple[int, ...] = ()
    addon_ids: tuple[int, ...] = ()
    quantity: int = 1
    billing: str = BillingMode.ONE_OFF

    @classmethod
    def from_dict(cls, data: Mapping) -> Configuration:
        """Parse stored or submitted JSON; wrong shapes become InvalidConfiguration."""
        if not isinstance(data, Mapping):
            raise InvalidConfiguration("The configuration is not readable.")
        try:
            options = tuple(_as_int(v) for v in data.get("options", ()))
            addons = tuple(_as_int(v) for v in data.get("addons", ()))
            quantity = _as_int(data.get("quantity", 1))
        except (TypeError, ValueError) as exc:
            raise InvalidConfiguration("The configuration contains an invalid value.") from exc
        billing = data.get("billing", BillingMode.ONE_OFF)
        if not isinstance(billing, str):
            raise InvalidConfiguration("Unknown billing mode.")
        return cls(option_ids=options, addon_ids=addons, quantity=quantity, billing=billing)

    def as_dict(self) -> dict:
        return {
            "options": sorted(self.option_ids),
            "addons": sorted(self.addon_ids),
            "quantity": self.quantity,
            "billing": self.billing,
        }


def _as_int(value) -> int:
    if isinstance(value, bool):
        raise TypeError("booleans are not ids")
    if isinstance(value, str):
        value = value.strip()
        if len(value) > 12:
            raise ValueError("number too long")
    return int(value)


@dataclass(frozen=True)
class PriceLine:
    kind: str  # base | option | addon
    label: str
    unit_amount: Money


@dataclass(frozen=True)
class PriceBreakdown:
    product_id: int
    currency: str
    billing: str
    interval: str | None
    quantity: int
    lines: tuple[PriceLine, ...]
    unit: Money
    gross: Money
    tier_percent: Decimal
    tier_discount: Money
    campaign_name: str | None
    campaign_discount: Money
    total: Money
    configuration: Configuration = field(repr=False)

    @property
    def discount(self) -> Money:
        return self.tier_discount + self.campaign_discount

    def as_dict(self) -> dict:
        return {
            "product_id": self.product_id,
            "currency": self.currency,
            "billing": self.billing,
            "interval": self.interval,
            "quantity": self.quantity,
            "lines": [
                {"kind": line.kind, "label": line.label, "unit_amount": line.unit_amount.as_dict()}
                for line in self.lines
            ],
            "unit": self.unit.as_dict(),
            "gross": self.gross.as_dict(),
            "tier_percent": str(self.tier_percent),
            "tier_discount": self.tier_discount.as_dict(),
            "campaign": self.campaign_name,
            "campaign_discount": self.campaign_discount.as_dict(),
            "total": self.total.as_dict(),
            "configuration": self.configuration.as_dict(),
        }


@dataclass(frozen=True)
class CampaignRule:
    """A running campaign reduced to what pricing needs (see selectors.campaign_rules)."""

    pk: int
    name: str
    badge: str
    kind: str
    percent: Decimal | None
    amount: int | None
    currency: str
    starts_at: object
    ends_at: object
    product_ids: frozenset[int]
    category_ids: frozenset[int]

    def applies_to(self, product: Product, at) -> bool:
        return self.starts_at <= at < self.ends_at and (
            product.pk in self.product_ids or product.category_id in self.category_ids
        )

    @property
    def label(self) -> str:
        return self.badge or self.name


def campaign_discount_for(
    *, product: Product, amount: Money, quantity: int, campaigns: Iterable[CampaignRule], at
) -> tuple[CampaignRule | None, Money]:
    """The running campaign that takes the most off `amount`; campaigns never stack."""
    best, best_off = None, Money.zero(amount.currency)
    for campaign in campaigns:
        if not campaign.applies_to(product, at):
            continue
        if campaign.kind == Campaign.Kind.PERCENT:
            off = amount.percent_of(campaign.percent)
        elif campaign.currency == amount.currency:
            off = Money(campaign.amount * quantity, amount.currency)
        else:
            continue
        off = Money(min(off.amount, amount.amount), amount.currency)
        if off.amount > best_off.amount:
            best, best_off = campaign, off
    return best, best_off


def price_configuration(
    *,
    product: Product,
    configuration: Configuration,
    campaigns: Iterable[CampaignRule],
    at=None,
) -> PriceBreakdown:
    """Validate `configuration` against `product` and price it.

    `product` should come with option_groups→options, addons and tiers
    prefetched (see selectors.product_get_for_pricing); `campaigns` are the
    running ones (selectors.campaign_rules), or none to validate only.
    """
    at = at or timezone.now()
    if not product.is_active:
        raise ProductUnavailable(f"{product.title} is no longer available.")
    _check_quantity(product, configuration.quantity)
    if configuration.billing not in product.offered_billing:
        raise InvalidConfiguration(f"{product.title} cannot be bought with that billing mode.")

    currency = product.currency
    if configuration.billing == BillingMode.SUBSCRIPTION:
        base = Money(product.subscription_amount, currency)
        interval = "month"
    else:
        base = Money(product.base_amount, currency)
        interval = None
    lines = [PriceLine("base", product.title, base)]
    lines += _option_lines(product, configuration.option_ids, currency)
    lines += _addon_lines(product, configuration, currency)

    unit = sum((line.unit_amount for line in lines), Money.zero(currency))
    if unit.amount < 0:
        unit = Money.zero(currency)
    gross = unit * configuration.quantity
    tier_percent = _tier_percent(product, configuration.quantity)
    tier_discount = gross.percent_of(tier_percent)
    after_tier = gross - tier_discount

    campaign, campaign_off = campaign_discount_for(
        product=product,
        amount=after_tier,
        quantity=configuration.quantity,
        campaigns=campaigns,
        at=at,
    )
    return PriceBreakdown(
        product_id=product.pk,
        currency=currency,
        billing=configuration.billing,
        interval=interval,
        quantity=configuration.quantity,
        lines=tuple(lines),
        unit=unit,
        gross=gross,
        tier_percent=tier_percent,
        tier_discount=tier_discount,
        campaign_name=campaign.name if campaign else None,
        campaign_discount=campaign_off,
        total=after_tier - campaign_off,
        configuration=configuration,
    )


def _check_quantity(product: Product, quantity: int) -> None:
    if not isinstance(quantity, int) or isinstance(quantity, bool):
        raise InvalidConfiguration("Quantity must be a whole number.")
    if quantity < product.min_quantity:
        raise InvalidConfiguration(
            f"Choose at least {product.min_quantity} {product.quantity_label}."
        )
    if quantity > product.max_quantity:
        raise InvalidConfiguration(
            f"At most {product.max_quantity} {product.quantity_label} can be ordered at once."
        )


def _option_lines(product: Product, option_ids: tuple[int, ...], currency: str) -> list[PriceLine]:
    if len(option_ids) > MAX_SELECTED_IDS:
        raise InvalidConfiguration("Too many options selected.")
    if len(set(option_ids)) != len(option_ids):
        raise InvalidConfiguration("An option was selected twice.")
    groups = list(product.option_groups.all())
    by_id = {option.pk: (group, option) for group in groups for option in group.options.all()}
    unknown = [pk for pk in option_ids if pk not in by_id]
    if unknown:
        raise InvalidConfiguration(
            f"Option {unknown[0]} is not available for {product.title}.",
            extra={"option": unknown[0]},
        )
    lines = []
    for group in groups:
        chosen = [by_id[pk][1] for pk in option_ids if by_id[pk][0].pk == group.pk]
        if group.required and not chosen:
            raise InvalidConfiguration(f"Choose a {group.name.lower()}.", extra={"group": group.pk})
        if group.selection == OptionGroup.Selection.SINGLE and len(chosen) > 1:
            raise InvalidConfiguration(
                f"Choose only one {group.name.lower()}.", extra={"group": group.pk}
            )
        for option in sorted(chosen, key=lambda o: (o.position, o.pk)):
            lines.append(
                PriceLine(
                    "option",
                    f"{group.name}: {option.label}",
                    Money(option.price_delta_amount, currency),
                )
            )
    return lines


def _addon_lines(product: Product, configuration: Configuration, currency: str) -> list[PriceLine]:
    addon_ids = configuration.addon_ids
    if len(addon_ids) > MAX_SELECTED_IDS:
        raise InvalidConfiguration("Too many add-ons selected.")
    if len(set(addon_ids)) != len(addon_ids):
        raise InvalidConfiguration("An add-on was selected twice.")
    available = {addon.pk: addon for addon in product.addons.all() if addon.is_active}
    lines = []
    for pk in addon_ids:
        addon = available.get(pk)
        if addon is None:
            raise InvalidConfiguration(
                f"Add-on {pk} is not available for {product.title}.", extra={"addon": pk}
            )
        if addon.subscription_only and configuration.billing != BillingMode.SUBSCRIPTION:
            raise InvalidConfiguration(
                f"{addon.label} comes only with a monthly subscription: choose monthly billing "
                "or leave it out.",
                code="addon_subscription_only",
                extra={"addon": pk},
            )
        lines.append(PriceLine("addon", addon.label, Money(addon.amount, currency)))
    return lines


def _tier_percent(product: Product, quantity: int) -> Decimal:
    reached = [tier for tier in product.tiers.all() if quantity >= tier.min_quantity]
    return max((tier.discount_percent for tier in reached), default=Decimal("0"))


def default_configuration(product: Product) -> Configuration:
    """Required single-choice groups start on their default (or first) option."""
    option_ids = []
    for group in product.option_groups.all():
        options = list(group.options.all())
        defaults = [o.pk for o in options if o.is_default]
        if defaults:
            option_ids.extend(defaults if group.selection == "multiple" else defaults[:1])
        elif group.required and options:
            option_ids.append(options[0].pk)
    return Configuration(
        option_ids=tuple(option_ids), quantity=product.min_quantity, billing=product.default_billing
    )


def listing_price(
    *, product: Product, campaigns: Iterable[CampaignRule], at
) -> tuple[Money, Money, CampaignRule | None]:
    """(entry price, price after the best running campaign, that campaign) for listing cards;
    `listing_sale_amount` is the same sale price in SQL, for sorting."""
    price = product.list_price
    campaign, off = campaign_discount_for(
        product=product, amount=price, quantity=1, campaigns=campaigns, at=at
    )
    return price, price - off, campaign


def listing_sale_amount(*, at):
    """`listing_price`'s sale amount as an SQL expression over products annotated with
    `list_amount`, so the listing can order by the price its cards show in the same query.

    The best running campaign that targets the product or its category comes off the list
    price: a percentage rounded half up (computed in whole hundredths of a percent, so SQLite's
    floating-point decimals round exactly as `Money.percent_of` does) or a fixed amount in the
    product's currency, never more than the price.
    """
    hundredths = Cast(Round(F("percent") * 100), BigIntegerField())
    off = Case(
        When(
            kind=Campaign.Kind.PERCENT,
            then=(OuterRef("list_amount") * hundredths + 5000) / 10000,
        ),
        When(
            kind=Campaign.Kind.FIXED,
            currency=OuterRef("currency"),
            then=Least(F("amount"), OuterRef("list_amount")),
        ),
        default=Value(0),
        output_field=BigIntegerField(),
    )
    best = (
        Campaign.objects.filter(is_active=True, starts_at__lte=at, ends_at__gt=at)
        .filter(Q(products=OuterRef("pk")) | Q(categories=OuterRef("category_id")))
        .annotate(off=off)
        .order_by("-off")
        .values("off")[:1]
    )
    return F("list_amount") - Coalesce(Subquery(best, output_field=BigIntegerField()), Value(0))


@dataclass(frozen=True)
class BundleRule:
    """A cross-sell bundle reduced to what pricing needs (see selectors.bundle_rules)."""

    pk: int
    headline: str
    percent: Decimal
    product_ids: frozenset[int]
    billing: str = "any"  # a BillingMode, or "any"

    def accepts(self, billing: str) -> bool:
        return self.billing in ("any", billing)


@dataclass(frozen=True)
class BundleDiscount:
    bundle: BundleRule
    amount: Money


@dataclass(frozen=True)
class PricingRules:
    """Everything besides the products that prices depend on, as of one pricing version."""

    campaigns: tuple[CampaignRule, ...] = ()
    bundles: tuple[BundleRule, ...] = ()


@dataclass(frozen=True)
class CartLineInput:
    """A cart line as pricing sees it: `key` names it in the result."""

    key: object
    product: Product
    configuration: Mapping
    bundle_id: int | None = None


@dataclass(frozen=True)
class PricedLine:
    """One priced cart line; amounts are None when the line can no longer be bought."""

    key: object
    product: Product
    breakdown: PriceBreakdown | None
    error: str = ""
    bundle: BundleDiscount | None = None
    bundle_id: int | None = None

    @property
    def bundle_amount(self) -> Money:
        return self.bundle.amount if self.bundle else Money.zero(self.product.currency)

    @property
    def gross(self) -> Money | None:
        return self.breakdown.gross if self.breakdown else None

    @property
    def discount(self) -> Money | None:
        return self.breakdown.discount + self.bundle_amount if self.breakdown else None

    @property
    def total(self) -> Money | None:
        """What the customer pays for the line: after tiers, campaigns and its bundle."""
        return self.breakdown.total - self.bundle_amount if self.breakdown else None

    def as_dict(self) -> dict:
        """The snapshot an order line keeps."""
        bundle = self.bundle
        return {
            **self.breakdown.as_dict(),
            "bundle": {
                "name": bundle.bundle.headline if bundle else "",
                "discount": bundle.amount.amount if bundle else 0,
            },
            "to_pay": self.total.as_dict(),
        }


@dataclass(frozen=True)
class CartPricing:
    """The priced cart. Cart, checkout, order placement and invoices copy these numbers."""

    lines: tuple[PricedLine, ...]
    currency: str | None
    subtotal: Money | None
    discount: Money | None
    total: Money | None  # None when a line failed or currencies differ

    @property
    def errors(self) -> list[str]:
        return [line.error for line in self.lines if line.error]

    @property
    def bundles(self) -> list[tuple[str, Money]]:
        """(headline, saving) of every bundle the cart completes, once per bundle."""
        savings: dict[str, Money] = {}
        for line in self.lines:
            if line.bundle:
                name = line.bundle.bundle.headline
                savings[name] = (
                    savings[name] + line.bundle.amount if name in savings else (line.bundle.amount)
                )
        return list(savings.items())

    @property
    def is_subscription(self) -> bool:
        return any(line.breakdown and line.breakdown.interval for line in self.lines)

    def payment_plan(self, *, today: date) -> PaymentPlan | None:
        if self.total is None:
            return None
        return payment_plan(
            ((line.total, line.breakdown.interval) for line in self.lines),
            currency=self.currency,
            today=today,
        )


@dataclass(frozen=True)
class PaymentPlan:
    """What the customer pays now and what renews, said the same way by cart, checkout and the
    payment page. `due_today` is the first payment: one-off services plus the first month of
    each subscription; `renewal` is then charged every `interval` from `renews_on`."""

    due_today: Money
    one_off: Money
    renewal: Money | None
    interval: str | None
    renews_on: date | None


def payment_plan(
    charges: Iterable[tuple[Money, str | None]], *, currency: str, today: date
) -> PaymentPlan:
    """The plan for priced lines, or for an order's lines copied from them: (line total,
    billing interval or None) each. Subscriptions renew a month after the day they are paid,
    as the payment provider bills them."""
    due = one_off = Money.zero(currency)
    renewal, interval = None, None
    for amount, line_interval in charges:
        due += amount
        if line_interval:
            renewal = amount if renewal is None else renewal + amount
            interval = line_interval
        else:
            one_off += amount
    return PaymentPlan(due, one_off, renewal, interval, _month_after(today) if interval else None)


def _month_after(day: date) -> date:
    """The same day next month, or that month's last day when it is shorter."""
    year, month = day.year + day.month // 12, day.month % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def price_cart(lines: Iterable[CartLineInput], rules: PricingRules, *, at=None) -> CartPricing:
    """The one cart-pricing function: every line (options, add-ons, tiers, campaigns), then
    bundles, then totals. Nothing downstream adds or subtracts on its own."""
    at = at or timezone.now()
    priced = []
    for line in lines:
        try:
            breakdown = price_configuration(
                product=line.product,
                configuration=Configuration.from_dict(line.configuration),
                campaigns=rules.campaigns,
                at=at,
            )
        except ApplicationError as exc:
            priced.append(
                PricedLine(line.key, line.product, None, exc.message, None, line.bundle_id)
            )
        else:
            priced.append(PricedLine(line.key, line.product, breakdown, "", None, line.bundle_id))
    savings = bundle_discounts(lines=priced, bundles=rules.bundles)
    priced = tuple(replace(line, bundle=savings.get(line.key)) for line in priced)
    currencies = {line.product.currency for line in priced}
    if not priced or len(currencies) != 1 or any(line.error for line in priced):
        return CartPricing(priced, None, None, None, None)
    currency = currencies.pop()
    zero = Money.zero(currency)
    return CartPricing(
        lines=priced,
        currency=currency,
        subtotal=sum((line.gross for line in priced), zero),
        discount=sum((line.discount for line in priced), zero),
        total=sum((line.total for line in priced), zero),
    )


def bundle_discounts(
    *, lines: Iterable[PricedLine], bundles: Iterable[BundleRule]
) -> dict[object, BundleDiscount]:
    """Bundle savings per line key.

    Only lines the cart marks as part of a bundle count, and only those of a billing mode
    the bundle accepts. The saving (the bundle's percentage of each line's total after tiers
    and campaigns) applies once per complete set: with two lines of one service and one of
    the other, one set is complete and the spare line pays full price.
    """
    members: dict[tuple[int, int], list[PricedLine]] = {}
    for line in lines:
        if line.bundle_id is not None and line.breakdown is not None:
            members.setdefault((line.bundle_id, line.product.pk), []).append(line)
    result: dict[object, BundleDiscount] = {}
    for bundle in bundles:
        if len(bundle.product_ids) < 2:
            continue
        eligible = {
            product_id: [
                line
                for line in members.get((bundle.pk, product_id), ())
                if bundle.accepts(line.breakdown.billing)
            ]
            for product_id in bundle.product_ids
        }
        sets = min(len(found) for found in eligible.values())
        for found in eligible.values():
            for line in found[:sets]:
                result[line.key] = BundleDiscount(
                    bundle, line.breakdown.total.percent_of(bundle.percent)
                )
    return result
