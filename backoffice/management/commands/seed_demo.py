from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from backoffice.demo_clients import CLIENTS, searches_seed, user_ensure
from catalog import demo_data
from catalog.models import AddOn, Campaign, Category, Option, OptionGroup, Product, QuantityTier
from catalog.services import synonyms_seed
from core.flags import BILLING_CENTRE, flag_enable
from fulfillment.models import PlanStep

STAFF = ("admin", "admin@smplat.localhost", "smplat-admin")


class Command(BaseCommand):
    help = (
        "Load the demo catalog, CMS pages, staff and client accounts with their orders, "
        "invoices and analytics. Safe to run again: it updates in place."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            categories = self._categories()
            for index, spec in enumerate(demo_data.PRODUCTS, start=1):
                self._product(spec, categories, position=index * 10)
                self.stdout.write(f"  product {index}/{len(demo_data.PRODUCTS)}: {spec['title']}")
            self._campaign(categories)
            synonyms_seed()
            username, email, password = STAFF
            user_ensure(username=username, email=email, password=password, staff=True)
        call_command("seed_cms", stdout=self.stdout)
        call_command("seed_orders", stdout=self.stdout)
        # The billing centre is staged: on for the first demo client, still off for the second.
        first = get_user_model().objects.get(username=CLIENTS[0].username)
        flag_enable(name=BILLING_CENTRE, users=[first])
        self.stdout.write(f"  billing centre switched on for {first.username}")
        searches = searches_seed()
        if searches:
            self.stdout.write(f"  {searches} catalog searches of the past week")
        self.stdout.write(
            self.style.SUCCESS(f"Demo catalog ready: {len(demo_data.PRODUCTS)} services.")
        )
        self.stdout.write(
            f"Staff login:  {STAFF[0]} / {STAFF[2]}  (/admin/, /cms-admin/, /dashboard/staff/)"
        )
        for client in CLIENTS:
            self.stdout.write(
                f"Client login: {client.username} / {client.password}  (/accounts/login/)"
            )

    def _categories(self):
        result = {}
        for position, (slug, name, description) in enumerate(demo_data.CATEGORIES):
            result[slug], _ = Category.objects.update_or_create(
                slug=slug, defaults={"name": name, "description": description, "position": position}
            )
        return result

    def _product(self, spec, categories, *, position):
        product, _ = Product.objects.update_or_create(
            slug=spec["slug"],
            defaults={
                "title": spec["title"],
                "summary": spec["summary"],
                "description": spec["description"],
                "category": categories[spec["category"]],
                "platform": spec["platform"],
                "base_amount": spec["base_amount"],
                "billing_modes": spec.get("billing_modes", "one_off"),
                "subscription_amount": spec.get("subscription_amount"),
                "quantity_label": spec["quantity_label"],
                "one_account_per_unit": spec.get("one_account_per_unit", False),
                "max_quantity": spec["max_quantity"],
                "position": position,
                "is_active": True,
            },
        )
        for group_pos, (name, selection, required, options) in enumerate(spec["groups"]):
            group, _ = OptionGroup.objects.update_or_create(
                product=product,
                name=name,
                defaults={"selection": selection, "required": required, "position": group_pos},
            )
            for opt_pos, (label, delta, default) in enumerate(options):
                Option.objects.update_or_create(
                    group=group,
                    label=label,
                    defaults={
                        "price_delta_amount": delta,
                        "is_default": default,
                        "position": opt_pos,
                    },
                )
        for addon_pos, (label, amount, *billing) in enumerate(spec["addons"]):
            AddOn.objects.update_or_create(
                product=product,
                label=label,
                defaults={
                    "amount": amount,
                    "position": addon_pos,
                    "subscription_only": billing == ["subscription"],
                },
            )
        for position, (name, kind, adapter, parameters) in enumerate(
            demo_data.PLANS[spec["category"]]
        ):
            PlanStep.objects.update_or_create(
                product=product,
                position=position,
                defaults={"name": name, "kind": kind, "adapter": adapter, "parameters": parameters},
            )
        for min_quantity, percent in spec["tiers"]:
            QuantityTier.objects.update_or_create(
                product=product,
                min_quantity=min_quantity,
                defaults={"discount_percent": Decimal(percent)},
            )
        return product

    def _campaign(self, categories):
        spec = demo_data.CAMPAIGN
        now = timezone.now()
        campaign, _ = Campaign.objects.update_or_create(
            name=spec["name"],
            defaults={
                "badge": spec["badge"],
                "kind": Campaign.Kind.PERCENT,
                "percent": Decimal(spec["percent"]),
                "starts_at": now - timedelta(days=7),
                "ends_at": now + timedelta(days=60),
                "is_active": True,
            },
        )
        campaign.categories.set([categories[slug] for slug in spec["categories"]])
