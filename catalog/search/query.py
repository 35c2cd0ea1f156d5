"""From what a shopper typed to plans the index can match, tried in order until one finds
something: as typed (with synonyms), with spelling corrections, without words no product
uses, and then with fewer of the last words (as Meilisearch's "last" matching strategy and
Algolia's "remove words if no results" do), so the best partial match is what is shown."""

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
    terms: tuple[Term, ...]  # every term must match
    phrase: str  # the terms' stems, for ranking titles that hold them in this order first
    shown: str  # the words searched for, for "Showing results for"
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
    """The plans for `query`, best first, leaving out those with a word the index does not
    hold; empty when it holds no word to search for.

    `synonyms` maps a word's stem to the stems it means; `known_stems` are the stems the
    index holds."""
    typed = [w for w in words(query) if w not in STOP_WORDS][:MAX_TERMS]
    typed = _join_split_words(typed, vocabulary)
    if not typed:
        return []
    as_typed, corrected, known = [], [], []  # (term, the word shown for it)
    for position, word in enumerate(typed):
        own = (stem(word),)
        meant = synonyms.get(own[0])
        term = Term((own, meant) if meant else (own,))
        as_typed.append((term, word))
        is_last = prefix and position == len(typed) - 1
        if meant or own[0] in known_stems or is_last:
            corrected.append((term, word))
            known.append((term, word))
        elif fix := vocabulary.correct(word):
            corrected.append((Term(((stem(fix),),)), fix))
            known.append(corrected[-1])
        else:
            corrected.append((term, word))  # a word no product uses: only fewer words can help

    def plan(pairs: list[tuple[Term, str]], *, exact: bool = False) -> Plan:
        terms = tuple(term for term, _ in pairs)
        phrase = " ".join(" ".join(term.alternatives[0]) for term in terms)
        return Plan(terms, phrase, " ".join(w for _, w in pairs), exact, prefix)

    def may_match(term: Term, last: bool) -> bool:
        """False when the index holds no product with the term (numbers are not in
        `known_stems`, and an unfinished last word may become any word)."""
        return (prefix and last) or any(
            all(s in known_stems or s.isdigit() for s in alternative)
            for alternative in term.alternatives
        )

    candidates = [plan(as_typed, exact=True), plan(corrected), plan(known)]
    candidates += [plan(known[:size]) for size in range(len(known) - 1, 0, -1)]
    plans: list[Plan] = []
    seen: set[tuple[Term, ...]] = set()
    for candidate in candidates:
        terms = candidate.terms
        possible = all(may_match(t, i == len(terms) - 1) for i, t in enumerate(terms))
        if terms and possible and terms not in seen:
            seen.add(candidate.terms)
            plans.append(candidate)
    return plans
