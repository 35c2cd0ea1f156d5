"""Pages, images and admin form data for the CMS tests."""

import io

from django.core.files.images import ImageFile
from django.utils.text import slugify
from PIL import Image as PILImage
from wagtail.images.models import Image
from wagtail.models import Page, Site
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from cms.models import HomeFeaturedProduct, HomePage, ProductMarketingPage

FAQ_FEATURES = ["bold", "italic", "link", "ul", "ol"]


def image(title: str = "Picture", colour: str = "purple", size=(900, 600)) -> Image:
    """A real PNG in MEDIA_ROOT, so renditions can be generated from it."""
    buffer = io.BytesIO()
    PILImage.new("RGB", size, colour).save(buffer, format="PNG")
    return Image.objects.create(
        title=title, file=ImageFile(buffer, name=f"{slugify(title) or 'picture'}.png")
    )


def home_page(*, featured=(), publish: bool = True, **fields) -> HomePage:
    """The site's root page, replacing Wagtail's placeholder as seed_cms does."""
    Page.objects.filter(depth=2, slug="home", content_type__model="page").delete()
    home = HomePage(title=fields.pop("title", "SMPLAT"), slug="home", live=publish, **fields)
    Page.get_first_root_node().add_child(instance=home)
    home.featured.set(
        [HomeFeaturedProduct(product=p, sort_order=i) for i, p in enumerate(featured)]
    )
    revision = home.save_revision()
    if publish:
        revision.publish()
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"root_page": home, "hostname": "localhost", "site_name": "SMPLAT"},
    )
    return home


def marketing_body(*, prefix: str = "", gallery: int = 3, faqs: int = 3) -> list:
    """Every marketing block: hero with image, metrics, testimonials, FAQs, gallery, rich text."""
    return [
        (
            "hero",
            {
                "heading": f"{prefix}Hero heading",
                "text": f"{prefix}Hero text",
                "image": image(f"{prefix}hero", "navy"),
                "cta_label": "Configure below",
                "cta_url": "#configure-heading",
            },
        ),
        (
            "metrics",
            {
                "heading": "Results",
                "items": [
                    {"value": "8,900+", "label": "accounts grown"},
                    {"value": "97%", "label": "delivered on time"},
                ],
            },
        ),
        (
            "testimonials",
            {
                "heading": "Clients on this service",
                "items": [
                    {"quote": "Steady growth, no spikes.", "author": "Lena Park", "role": "Lead"},
                    {"quote": "Delivered as promised.", "author": "Tomás Rivera", "role": ""},
                ],
            },
        ),
        (
            "faqs",
            {
                "heading": "Questions and answers",
                "items": [
                    {"question": f"Question {n}?", "answer": f"<p>Answer number {n}.</p>"}
                    for n in range(1, faqs + 1)
                ],
            },
        ),
        (
            "gallery",
            {
                "heading": "Inside the service",
                "items": [
                    {"image": image(f"{prefix}gallery {n}", "teal"), "caption": f"Caption {n}"}
                    for n in range(1, gallery + 1)
                ],
            },
        ),
        ("rich_text", "<h3>What you get</h3><ul><li>Interest targeting</li></ul>"),
    ]


def marketing_page(
    product, *, parent: HomePage, publish: bool = True, tagline: str = "Marketing tagline", **kw
) -> ProductMarketingPage:
    page = ProductMarketingPage(
        title=kw.pop("title", product.title),
        product=product,
        tagline=tagline,
        body=marketing_body(gallery=kw.pop("gallery", 3), faqs=kw.pop("faqs", 3)),
        live=publish,
        **kw,
    )
    parent.add_child(instance=page)
    revision = page.save_revision()
    if publish:
        revision.publish()
    page.refresh_from_db()
    return page


def list_items(items: list) -> dict:
    """ListBlock form data, in the shape `streamfield()` gives a StreamField."""
    data = {
        str(i): {"value": value, "deleted": "", "order": str(i)} for i, value in enumerate(items)
    }
    data["count"] = str(len(items))
    return data


def marketing_edit_form(page: ProductMarketingPage, *, tagline: str, hero_heading: str) -> dict:
    """The POST body of the Wagtail edit form, as the admin's JavaScript submits it."""
    body = []
    for block in page.body:
        value = block.value
        if block.block_type == "hero":
            body.append(
                (
                    "hero",
                    {
                        "heading": hero_heading,
                        "text": value["text"],
                        "image": value["image"].pk if value["image"] else "",
                        "cta_label": value["cta_label"],
                        "cta_url": value["cta_url"],
                    },
                )
            )
        elif block.block_type == "metrics":
            items = [{"value": i["value"], "label": i["label"]} for i in value["items"]]
            body.append(("metrics", {"heading": value["heading"], "items": list_items(items)}))
        elif block.block_type == "testimonials":
            items = [
                {"quote": i["quote"], "author": i["author"], "role": i["role"]}
                for i in value["items"]
            ]
            body.append(("testimonials", {"heading": value["heading"], "items": list_items(items)}))
        elif block.block_type == "faqs":
            items = [
                {
                    "question": i["question"],
                    "answer": rich_text(i["answer"].source, features=FAQ_FEATURES),
                }
                for i in value["items"]
            ]
            body.append(("faqs", {"heading": value["heading"], "items": list_items(items)}))
        elif block.block_type == "gallery":
            items = [{"image": i["image"].pk, "caption": i["caption"]} for i in value["items"]]
            body.append(("gallery", {"heading": value["heading"], "items": list_items(items)}))
        elif block.block_type == "rich_text":
            body.append(("rich_text", rich_text(value.source)))
    return nested_form_data(
        {
            "title": page.title,
            "slug": page.slug,
            "product": page.product_id,
            "tagline": tagline,
            "body": streamfield(body),
            "seo_title": "",
            "search_description": "",
        }
    )
