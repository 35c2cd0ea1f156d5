from django import template

from core.money import Money

register = template.Library()


@register.filter(name="money")
def money_filter(value, currency="USD"):
    """Render Money, or an int of minor units in `currency`."""
    if isinstance(value, Money):
        return value.format()
    if value is None or value == "":
        return ""
    return Money(int(value), currency).format()
