from django import template

register = template.Library()


@register.filter
def percent(value: float, signed: str = "") -> str:
    """A fraction as a percentage with one decimal; `"signed"` shows + on gains."""
    text = f"{value * 100:+.1f}%" if signed else f"{value * 100:.1f}%"
    return text.replace("-", "−")
