"""StreamField blocks shared by marketing pages; each renders with its own template."""

import copy

from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock

HERO_RENDITION = "fill-720x480|format-webp"
GALLERY_RENDITION = "fill-480x320|format-webp"


class RenditionImageBlock(ImageChooserBlock):
    """Loads its images with the renditions its template uses: one query, however many images."""

    def __init__(self, *args, renditions: tuple[str, ...], **kwargs):
        super().__init__(*args, **kwargs)
        self.renditions = renditions

    def deconstruct(self):
        path, args, kwargs = super().deconstruct()
        return path, args, {**kwargs, "renditions": self.renditions}

    def bulk_to_python(self, values):
        values = list(values)
        images = self.model_class.objects.prefetch_renditions(*self.renditions).in_bulk(
            [v for v in values if v is not None]
        )
        result, seen = [], set()
        for pk in values:
            image = images.get(pk)
            result.append(copy.copy(image) if image is not None and pk in seen else image)
            seen.add(pk)
        return result


class HeroBlock(blocks.StructBlock):
    heading = blocks.CharBlock(max_length=120)
    text = blocks.TextBlock(required=False, max_length=400)
    image = RenditionImageBlock(required=False, renditions=(HERO_RENDITION,))
    cta_label = blocks.CharBlock(required=False, max_length=40, label="Button label")
    cta_url = blocks.CharBlock(required=False, max_length=200, label="Button link")

    class Meta:
        icon = "image"
        template = "blocks/hero.html"
        description = "A large heading with text, an image and a call to action."
        preview_value = {
            "heading": "Grow the audience you deserve",
            "text": "Real people, steady delivery, honest reporting.",
        }


class MetricBlock(blocks.StructBlock):
    value = blocks.CharBlock(max_length=20)
    label = blocks.CharBlock(max_length=60)


class MetricsBlock(blocks.StructBlock):
    heading = blocks.CharBlock(required=False, max_length=120)
    items = blocks.ListBlock(MetricBlock(), min_num=1, max_num=6)

    class Meta:
        icon = "order"
        template = "blocks/metrics.html"
        description = "Key figures in large type."
        preview_value = {
            "heading": "In numbers",
            "items": [
                {"value": "12k+", "label": "accounts grown"},
                {"value": "4.9/5", "label": "client rating"},
            ],
        }


class TestimonialBlock(blocks.StructBlock):
    quote = blocks.TextBlock(max_length=500)
    author = blocks.CharBlock(max_length=80)
    role = blocks.CharBlock(required=False, max_length=120)


class TestimonialsBlock(blocks.StructBlock):
    heading = blocks.CharBlock(required=False, max_length=120)
    items = blocks.ListBlock(TestimonialBlock(), min_num=1, max_num=12)

    class Meta:
        icon = "openquote"
        template = "blocks/testimonials.html"
        description = "Quotes from clients."
        preview_value = {
            "heading": "What clients say",
            "items": [
                {
                    "quote": "Our reach doubled in a month.",
                    "author": "Maya R.",
                    "role": "Café owner",
                }
            ],
        }


class FaqBlock(blocks.StructBlock):
    question = blocks.CharBlock(max_length=200)
    answer = blocks.RichTextBlock(features=["bold", "italic", "link", "ul", "ol"])


class FaqsBlock(blocks.StructBlock):
    heading = blocks.CharBlock(required=False, max_length=120, default="Questions and answers")
    items = blocks.ListBlock(FaqBlock(), min_num=1, max_num=30)

    class Meta:
        icon = "help"
        template = "blocks/faqs.html"
        description = "Questions that open to their answers (works without JavaScript)."
        preview_value = {
            "items": [
                {
                    "question": "Is it safe for my account?",
                    "answer": "<p>Yes: delivery is gradual and organic-looking.</p>",
                }
            ]
        }


class GalleryImageBlock(blocks.StructBlock):
    image = RenditionImageBlock(renditions=(GALLERY_RENDITION,))
    caption = blocks.CharBlock(required=False, max_length=200)


class GalleryBlock(blocks.StructBlock):
    heading = blocks.CharBlock(required=False, max_length=120)
    items = blocks.ListBlock(GalleryImageBlock(), min_num=1, max_num=24)

    class Meta:
        icon = "image"
        template = "blocks/gallery.html"
        description = "A grid of images with captions."


class CallToActionBlock(blocks.StructBlock):
    heading = blocks.CharBlock(max_length=120)
    text = blocks.TextBlock(required=False, max_length=300)
    button_label = blocks.CharBlock(max_length=40)
    button_url = blocks.CharBlock(max_length=200)

    class Meta:
        icon = "pick"
        template = "blocks/cta.html"
        description = "A banner asking the visitor to act."
        preview_value = {
            "heading": "Ready to grow?",
            "button_label": "Browse services",
            "button_url": "/catalog/",
        }


class RichTextSectionBlock(blocks.RichTextBlock):
    class Meta:
        icon = "doc-full"
        template = "blocks/rich_text.html"
        description = "Formatted text."
        preview_value = "<p>Write about the service in your own words.</p>"


MARKETING_BLOCKS = [
    ("hero", HeroBlock()),
    ("metrics", MetricsBlock()),
    ("testimonials", TestimonialsBlock()),
    ("faqs", FaqsBlock()),
    ("gallery", GalleryBlock()),
    ("rich_text", RichTextSectionBlock()),
]
HOME_BLOCKS = [*MARKETING_BLOCKS, ("cta", CallToActionBlock())]
