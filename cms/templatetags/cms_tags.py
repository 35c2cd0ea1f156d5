from django import template

from cms.selectors import site_settings_cached

register = template.Library()


@register.simple_tag
def site_settings():
    """Footer settings, cached until staff save them."""
    return site_settings_cached()
