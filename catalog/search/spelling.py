"""Corrections for words no product uses ("growht" → "growth").

The vocabulary is every word of the active catalog with the number of products using it.
Candidates come from a table of deletions (SymSpell's idea: two words within edit distance
`d` share a string reachable by at most `d` deletions from each), then are checked with the
optimal string alignment distance, so a lookup costs a few dictionary probes, not a scan.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations

MIN_LENGTH = 4  # shorter words are too easily another word


def max_distance(word: str) -> int:
    return 1 if len(word) < 8 else 2


def _deletions(word: str, distance: int) -> set[str]:
    found = {word}
    for n in range(1, min(distance, len(word) - 1) + 1):
        for positions in combinations(range(len(word)), n):
            found.add("".join(c for i, c in enumerate(word) if i not in positions))
    return found


def distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (a swap of neighbours counts one), or `limit + 1`
    as soon as it must exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = ca != cb
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


@dataclass
class Vocabulary:
    counts: dict[str, int]
    _deleted: dict[str, list[str]] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, word_lists: Iterable[Iterable[str]]) -> Vocabulary:
        """From each product's distinct words."""
        counts: dict[str, int] = defaultdict(int)
        for product_words in word_lists:
            for word in set(product_words):
                counts[word] += 1
        vocabulary = cls(counts=dict(counts))
        deleted: dict[str, list[str]] = defaultdict(list)
        for word in vocabulary.counts:
            if len(word) >= MIN_LENGTH and not word.isdigit():
                for variant in _deletions(word, max_distance(word)):
                    deleted[variant].append(word)
        vocabulary._deleted = dict(deleted)
        return vocabulary

    def __contains__(self, word: str) -> bool:
        return word in self.counts

    def correct(self, word: str) -> str | None:
        """The closest catalog word to `word`, the most used one among equals; None when
        `word` is in the catalog, too short, a number, or nothing is close enough."""
        if word in self.counts or len(word) < MIN_LENGTH or word.isdigit():
            return None
        limit = max_distance(word)
        candidates = {
            candidate
            for variant in _deletions(word, limit)
            for candidate in self._deleted.get(variant, ())
        }
        scored = [
            (distance(word, candidate, limit), -self.counts[candidate], candidate)
            for candidate in candidates
        ]
        best = min((s for s in scored if s[0] <= limit), default=None)
        return best[2] if best else None
