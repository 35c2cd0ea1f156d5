from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def signed(value: int) -> str:
    """A change with its sign and thousands separators: +1,204, −36, 0."""
    if value > 0:
        return f"+{value:,}"
    if value < 0:
        return f"−{-value:,}"
    return "0"


@register.filter
def duration_words(value: timedelta) -> str:
    """A wait in its two largest units: "3 min", "2 h 5 min", "4 days 6 h"."""
    seconds = max(value.total_seconds(), 0)
    minutes = int(seconds // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''}" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    return f"{max(minutes, 1)} min" if seconds >= 30 else "under a minute"
