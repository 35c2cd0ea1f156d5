import io

from django.core.files.images import ImageFile
from django.core.management.base import BaseCommand
from django.db import transaction
from PIL import Image as PILImage
from PIL import ImageDraw
from wagtail.images.models import Image
from wagtail.models import Page, Site

from catalog.models import Bundle, BundleItem, Product
from cms import demo_content
from cms.models import HomeFeaturedProduct, HomePage, ProductMarketingPage


def _picture(title: str, colour: tuple[int, int, int], size=(1200, 800)) -> Image:
    """A generated illustration (no network): a colour gradient, a chart line and the title."""
    existing = Image.objects.filter(title=title).first()
    if existing:
        return existing
    width, height = size
    canvas = PILImage.new("RGB", size, colour)
    draw = ImageDraw.Draw(canvas)
    for y in range(height):
        shade = int(80 * y / height)
        draw.line([(0, y), (width, y)], fill=tuple(max(c - shade, 0) for c in colour))
    points = [
        (x, height * 0.75 - (x / width) ** 1.6 * height * 0.5) for x in range(0, width + 1, 40)
    ]
    draw.line(points, fill=(255, 255, 255), width=10)
    draw.text((60, 60), title, fill=(255, 255, 255), font_size=72)
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG")
    slug = title.lower().replace(" ", "-")
    return Image.objects.create(title=title, file=ImageFile(buffer, name=f"{slug}.png"))


class Command(BaseCommand):
    help = "Provision the home page and the product marketing pages. Safe to run again."

    @transaction.atomic
    def handle(self, *args, **options):
        home = self._home()
        for slug, copy in demo_content.PRODUCTS.items():
            product = Product.objects.filter(slug=slug).first()
            if product is None:
                self.stdout.write(self.style.WARNING(f"  no product {slug}; run seed_demo first"))
                continue
            self._marketing_page(home, product, copy)
            self.stdout.write(f"  page product-{slug}")
        self._bundles()
        self.stdout.write(self.style.SUCCESS("CMS content ready."))

    def _bundles(self) -> None:
        for headline, description, percent, slugs in demo_content.BUNDLES:
            products = list(Product.objects.filter(slug__in=slugs))
            if len(products) != len(slugs):
                continue
            bundle, _ = Bundle.objects.update_or_create(
                headline=headline,
                defaults={"description": description, "discount_percent": percent},
            )
            bundle.items.set([BundleItem(product=p, sort_order=i) for i, p in enumerate(products)])
            bundle.save()

    def _home(self) -> HomePage:
        root = Page.get_first_root_node()
        home = HomePage.objects.first()
        copy = demo_content.HOME
        if home is None:
            # Wagtail's installer leaves a placeholder page at /home/; ours replaces it.
            Page.objects.filter(depth=2, slug="home", content_type__model="page").delete()
            home = HomePage(title=copy["title"], slug="home")
            root.add_child(instance=home)
        home.hero_heading, home.hero_text = copy["hero_heading"], copy["hero_text"]
        home.hero_image = _picture("Watch your growth", (75, 43, 214), size=(1120, 800))
        home.body = [
            (
                "metrics",
                {
                    "heading": "SMPLAT in numbers",
                    "items": [
                        {"value": v, "label": label} for v, label in demo_content.HOME_METRICS
                    ],
                },
            ),
            (
                "testimonials",
                {
                    "heading": "What clients say",
                    "items": [
                        {"quote": q, "author": a, "role": r}
                        for q, a, r in demo_content.HOME_TESTIMONIALS
                    ],
                },
            ),
            (
                "cta",
                {
                    "heading": "Ready to grow?",
                    "text": "Configure a service in a minute; delivery starts as soon as you pay.",
                    "button_label": "Browse services",
                    "button_url": "/catalog/",
                },
            ),
        ]
        home.featured.set(
            [
                HomeFeaturedProduct(product=p, sort_order=i)
                for i, p in enumerate(Product.objects.filter(slug__in=copy["featured"]))
            ]
        )
        home.save_revision().publish()
        Site.objects.update_or_create(
            is_default_site=True,
            defaults={"root_page": home, "hostname": "localhost", "site_name": "SMPLAT"},
        )
        return home

    def _marketing_page(self, home: HomePage, product: Product, copy: dict) -> None:
        page = ProductMarketingPage.objects.filter(product=product).first()
        if page is None:
            page = ProductMarketingPage(
                title=product.title, product=product, slug=f"product-{product.slug}"
            )
            home.add_child(instance=page)
        heading, text = copy["hero"]
        page.tagline = copy["tagline"]
        page.body = [
            (
                "hero",
                {
                    "heading": heading,
                    "text": text,
                    "image": _picture(f"{product.title} hero", copy["gallery"][0][1]),
                    "cta_label": "Configure below",
                    "cta_url": "#configure-heading",
                },
            ),
            (
                "metrics",
                {
                    "heading": "Results",
                    "items": [{"value": v, "label": label} for v, label in copy["metrics"]],
                },
            ),
            ("rich_text", copy["rich_text"]),
            (
                "gallery",
                {
                    "heading": "Inside the service",
                    "items": [
                        {
                            "image": _picture(f"{product.title}: {caption}", colour),
                            "caption": caption,
                        }
                        for caption, colour in copy["gallery"]
                    ],
                },
            ),
            (
                "testimonials",
                {
                    "heading": "Clients on this service",
                    "items": [
                        {"quote": q, "author": a, "role": r} for q, a, r in copy["testimonials"]
                    ],
                },
            ),
            (
                "faqs",
                {
                    "heading": "Questions and answers",
                    "items": [{"question": q, "answer": f"<p>{a}</p>"} for q, a in copy["faqs"]],
                },
            ),
        ]
        page.save_revision().publish()
