from django import template

from core.flags import flag_active as _flag_active

register = template.Library()


@register.simple_tag(takes_context=True)
def flag_active(context, name: str) -> bool:
    """`{% flag_active "billing_centre" as billing_on %}`: the flag for this page's user."""
    request = context.get("request")
    return request is not None and _flag_active(request, name)
