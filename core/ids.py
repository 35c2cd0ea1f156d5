"""Reading a row id out of text a caller sent (a URL part, a form field, webhook metadata)."""

# The largest id a 64-bit integer column holds; a longer number would be refused by the
# database driver with an error instead of simply matching nothing.
MAX_ID = 2**63 - 1


def parse_id(value) -> int | None:
    """The id `value` spells in ASCII digits, or None. `str.isdigit()` alone also accepts
    digits such as "²" or "٣", which `int()` then refuses."""
    text = str(value)
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None
