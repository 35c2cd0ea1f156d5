"""The synonyms a new shop starts with (staff add and change them in the admin)."""

DEFAULT_SYNONYMS = [
    ("ig", "instagram"),
    ("insta", "instagram"),
    ("yt", "youtube"),
    ("tt", "tiktok"),
    ("subs", "subscribers"),
    ("fans", "followers"),
    ("hearts", "likes"),
    ("viewers", "views"),
]
