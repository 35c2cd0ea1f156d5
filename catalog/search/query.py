"""From what a shopper typed to plans the index can match, tried in order until one finds
something: as typed (with synonyms), with spelling corrections, without words no product
uses, and finally any of the words."""

from __future__ import annotations

from dataclasses import dataclass

from .spelling import Vocabulary
from .text import STOP_WORDS, stem, words

MAX_TERMS = 8


@dataclass(frozen=True)
class Term:
    """One word of the query: it matches when any alternative (a phrase of stems) does."""

    alternatives: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Plan:
    terms: tuple[Term, ...]
    any_term: bool  # any term may match (ranked by how many do) instead of all
    phrase: str  # the query's stems, for ranking titles that hold them in this order first
    shown: str  # the query with corrected words, for "Did you mean"
    as_typed: bool
    prefix: bool = False  # the last word may be the start of a word (search-as-you-type)


def _join_split_words(typed: list[str], vocabulary: Vocabulary) -> list[str]:
    """ "tik tok" → "tiktok" when the catalog knows the joined word but not both halves."""
    joined: list[str] = []
    i = 0
    while i < len(typed):
        pair = typed[i] + typed[i + 1] if i + 1 < len(typed) else ""
        if pair in vocabulary and not (typed[i] in vocabulary and typed[i + 1] in vocabulary):
            joined.append(pair)
            i += 2
        else:
            joined.append(typed[i])
            i += 1
    return joined


def search_plans(
    query: str,
    *,
    vocabulary: Vocabulary,
    known_stems: frozenset[str],
    synonyms: dict[str, tuple[str, ...]],
    prefix: bool = False,
) -> list[Plan]:
    """The plans for `query`, best first; empty when it holds no word to search for.

    `synonyms` maps a word's stem to the stems it means; `known_stems` are the stems the
    index holds."""
    typed = [w for w in words(query) if w not in STOP_WORDS][:MAX_TERMS]
    typed = _join_split_words(typed, vocabulary)
    if not typed:
        return []
    as_typed, corrected, known, shown = [], [], [], []
    for position, word in enumerate(typed):
        own = (stem(word),)
        meant = synonyms.get(own[0])
        alternatives = (own, meant) if meant else (own,)
        as_typed.append(Term(alternatives))
        is_last = prefix and position == len(typed) - 1
        if meant or own[0] in known_stems or is_last:
            corrected.append(as_typed[-1])
            known.append(as_typed[-1])
            shown.append(word)
        elif fix := vocabulary.correct(word):
            corrected.append(Term(((stem(fix),),)))
            known.append(corrected[-1])
            shown.append(fix)
        else:
            corrected.append(as_typed[-1])  # a word no product uses: only "any word" can help
            shown.append(word)
    phrase = " ".join(stem(w) for w in typed)
    fixed = " ".join(shown)
    candidates = [
        Plan(tuple(as_typed), False, phrase, " ".join(typed), True, prefix),
        Plan(tuple(corrected), False, phrase, fixed, False, prefix),
        Plan(tuple(known), False, phrase, fixed, False, prefix),
        Plan(tuple(corrected), True, phrase, fixed, False, prefix),
    ]
    plans: list[Plan] = []
    seen: set[tuple] = set()
    for plan in candidates:
        # With one term, "all terms" and "any term" are the same search.
        key = (plan.terms, plan.any_term and len(plan.terms) > 1)
        if plan.terms and key not in seen:
            seen.add(key)
            plans.append(plan)
    return plans
