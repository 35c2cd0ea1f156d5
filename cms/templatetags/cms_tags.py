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


@register.simple_tag
def site_settings():
    """Footer settings, cached until staff save them."""
    from cms.selectors import site_settings_cached

    return site_settings_cached()
