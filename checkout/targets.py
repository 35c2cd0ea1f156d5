"""Which accounts a service is for: validated and normalised per platform."""

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
# Links to one post, reel, story or video rather than to an account: where the path starts
# (or, for TikTok, continues after the @handle), and the share hosts that only ever link
# to a single post or video.
_CONTENT_PATHS = {
    "instagram": {"p", "reel", "reels", "stories", "tv", "explore"},
    "tiktok": {"video", "photo", "t", "v"},
    "youtube": {"watch", "shorts", "live", "playlist", "embed", "v"},
}
_CONTENT_HOSTS = {
    "instagram": {"instagr.am"},
    "tiktok": {"vm.tiktok.com", "vt.tiktok.com"},
    "youtube": {"youtu.be", "www.youtu.be"},
}
# YouTube channel links that name the channel in their second segment.
_YOUTUBE_CHANNEL_PATHS = {"c", "user"}
_url = URLValidator(schemes=["http", "https"])


def targets_needed(*, one_account_per_unit: bool, quantity: int) -> int:
    """How many accounts a line is delivered to: one per unit for per-account services."""
    return quantity if one_account_per_unit else 1


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
        value = _handle_from_link(platform, value, hosts, name)
        if value.startswith("https://"):
            return value
    handle = value.removeprefix("@")
    if not pattern.match(handle) or handle.startswith(".") or handle.endswith("."):
        raise ValidationError(f"Enter a valid {name} handle, like @yourbrand.")
    return f"@{handle}"


def _handle_from_link(platform: str, value: str, hosts: set[str], name: str) -> str:
    """The handle a profile link names (a YouTube channel id stays a link)."""
    link = value if "://" in value else f"https://{value}"
    parsed = urlparse(link)
    parts = [p for p in parsed.path.split("/") if p]
    content = _CONTENT_PATHS[platform]
    if (
        parsed.hostname in _CONTENT_HOSTS[platform]
        or (parts and parts[0].lower() in content)
        or (platform == "tiktok" and len(parts) > 1 and parts[1].lower() in content)
    ):
        raise ValidationError(
            f"That link is to a single post, reel, story or video. We grow whole accounts: "
            f"enter the {name} profile instead, like @yourbrand or {_profile_example(platform)}."
        )
    if parsed.hostname not in hosts:
        raise ValidationError(f"Enter your {name} handle or a link to your {name} profile.")
    if not parts:
        raise ValidationError(f"That {name} link does not name an account.")
    if platform == "youtube" and parts[0] in _YOUTUBE_CHANNEL_PATHS and len(parts) > 1:
        return parts[1]
    if platform == "youtube" and parts[0] == "channel" and len(parts) > 1:
        return f"https://www.youtube.com/channel/{_channel_id(parts[1])}"
    return parts[0]


def _profile_example(platform: str) -> str:
    return {
        "instagram": "instagram.com/yourbrand",
        "tiktok": "tiktok.com/@yourbrand",
        "youtube": "youtube.com/@yourchannel",
    }[platform]


def _channel_id(value: str) -> str:
    if not re.fullmatch(r"UC[A-Za-z0-9_-]{22}", value):
        raise ValidationError("That YouTube channel link has no valid channel id.")
    return value


def _link(value: str) -> str:
    link = value if "://" in value else f"https://{value}"
    try:
        _url(link)
    except ValidationError as exc:
        raise ValidationError(
            "Enter a link to the page or profile, like https://example.com/brand."
        ) from exc
    return link
