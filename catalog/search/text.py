"""Words and stems, identical for what is indexed and what is searched."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

# Letters and digits of any script; everything else separates words. Queries therefore never
# carry full-text syntax (quotes, `*`, `:`, parentheses) to the database.
WORD = re.compile(r"[^\W_]+")
MAX_WORD_LENGTH = 40
# Words that say nothing about which service is meant. Kept short: a word missing here only
# costs ranking, a word wrongly here loses a match.
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "buy",
        "by",
        "for",
        "from",
        "get",
        "i",
        "in",
        "is",
        "it",
        "me",
        "more",
        "my",
        "of",
        "on",
        "or",
        "our",
        "so",
        "some",
        "that",
        "the",
        "their",
        "this",
        "to",
        "want",
        "we",
        "with",
        "you",
        "your",
    ]
)

_stemmer = snowballstemmer.stemmer("english")


def normalise(text: str) -> str:
    """Case-folded, compatibility-normalised text without control characters."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text)


def words(text: str) -> list[str]:
    """The words of `text` in order, too-long runs cut (they are never real words)."""
    return [w[:MAX_WORD_LENGTH] for w in WORD.findall(normalise(text))]


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    """A word's English stem ("followers" → "follow"); digits stay as they are."""
    return word if word.isdigit() else _stemmer.stemWord(word)


def stems(text: str) -> str:
    """`text` as space-separated stems: what the index stores for each field."""
    return " ".join(stem(w) for w in words(text))
