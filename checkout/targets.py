"""Which account a service is for: validated and normalised per platform."""

import re
from urllib.parse import urlparse

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

_HANDLE_RULES = {
    # platform: (pattern for the bare handle, profile hosts, human name)
    "instagram": (
        re.compile(r"^[A-Za-z0-9._]{1,30}$"),
        {"instagram.com", "www.instagram.com"},
        "Instagram",
    ),
    "tiktok": (re.compile(r"^[A-Za-z0-9._]{2,24}$"), {"tiktok.com", "www.tiktok.com"}, "TikTok"),
    "youtube": (
        re.compile(r"^[A-Za-z0-9._-]{3,30}$"),
        {"youtube.com", "www.youtube.com", "m.youtube.com"},
        "YouTube",
    ),
}
_url = URLValidator(schemes=["http", "https"])


def normalise_target(platform: str, value: str) -> str:
    """`@handle` for social platforms (a profile link is accepted), a URL for anything else."""
    value = (value or "").strip()
    if not value:
        raise ValidationError("Tell us which account or page this service is for.")
    if len(value) > 300:
        raise ValidationError("That is too long for an account or link.")
    rule = _HANDLE_RULES.get(platform)
    if rule is None:
        return _link(value)
    pattern, hosts, name = rule
    if "/" in value:
        value = _handle_from_link(value, hosts, name)
    handle = value.removeprefix("@")
    if not pattern.match(handle) or handle.startswith(".") or handle.endswith("."):
        raise ValidationError(f"Enter a valid {name} handle, like @yourbrand.")
    return f"@{handle}"


def _handle_from_link(value: str, hosts: set[str], name: str) -> str:
    link = value if "://" in value else f"https://{value}"
    parsed = urlparse(link)
    if parsed.hostname not in hosts:
        raise ValidationError(f"Enter your {name} handle or a link to your {name} profile.")
    parts = [p for p in parsed.path.split("/") if p]
    if not parts:
        raise ValidationError(f"That {name} link does not name an account.")
    return parts[0]


def _link(value: str) -> str:
    link = value if "://" in value else f"https://{value}"
    try:
        _url(link)
    except ValidationError as exc:
        raise ValidationError(
            "Enter a link to the page or profile, like https://example.com/brand."
        ) from exc
    return link
