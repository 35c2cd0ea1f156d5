from django import template

from cms.selectors import bundle_list_for_product

register = template.Library()


@register.inclusion_tag("cms/_bundles.html", takes_context=True)
def product_bundles(context, product):
    """Bundles that include this product, each with a one-click add-all form."""
    return {
        "product": product,
        "bundles": bundle_list_for_product(product=product),
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag(takes_context=True)
def site_settings(context):
    from cms.models import SiteSettings

    request = context.get("request")
    return SiteSettings.for_request(request) if request else None
