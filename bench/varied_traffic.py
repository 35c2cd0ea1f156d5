"""Requests for the varied-traffic scenarios, drawn from the loaded catalog.

Run with the app's environment after bench/load_products.py:

    DATABASE_URL=... .venv/bin/python bench/varied_traffic.py --out DIR

Writes four files of URL paths, one per line, for bench/varied.lua: `search-warmup.txt`
and `search.txt` (distinct catalog searches), `product-warmup.txt` and `product.txt`
(distinct product pages). Warm-up and measurement never share a path, so the measured
requests find no page cached by the warm-up.

A search is one to three real words of the catalog's titles: mostly words of one product's
title (in its order or shuffled), sometimes words of different products; about one in ten
has a typo (two neighbouring letters swapped, a letter dropped or doubled) and about one in
ten a shopper's synonym ("ig", "fans") or the other number (singular/plural) of a word.
The same seed gives the same requests for the same catalog.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path
from urllib.parse import urlencode

from load_products import setup_django

SEED = 13
TYPO_SHARE = 0.10
VARIANT_SHARE = 0.10
WARMUP_SHARE = 0.1


def typo(word: str, rng: random.Random) -> str:
    """One slip of the finger: swap two neighbours, drop or double a letter."""
    i = rng.randrange(len(word) - 1)
    kind = rng.choice(("swap", "drop", "double"))
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


def variant(word: str, shopper_words: dict[str, list[str]], rng: random.Random) -> str:
    """A synonym shoppers use for `word` when there is one, else its other number."""
    if word in shopper_words:
        return rng.choice(shopper_words[word])
    return word[:-1] if word.endswith("s") else word + "s"


def search_queries(titles: list[list[str]], count: int, rng: random.Random) -> list[str]:
    """`count` distinct queries (fewer if the catalog's words cannot make that many)."""
    from catalog.search.synonyms import DEFAULT_SYNONYMS

    shopper_words: dict[str, list[str]] = {}
    for said, meant in DEFAULT_SYNONYMS:
        shopper_words.setdefault(meant, []).append(said)
    vocabulary = sorted({w for title in titles for w in title})
    queries: dict[str, None] = {}
    for _ in range(count * 50):
        if len(queries) == count:
            break
        size = rng.choice((1, 2, 2, 3))
        if rng.random() < 0.7:
            title = rng.choice(titles)
            picked = rng.sample(title, min(size, len(title)))
            if rng.random() < 0.6:  # in the title's order
                picked.sort(key=title.index)
        else:
            picked = rng.sample(vocabulary, min(size, len(vocabulary)))
        roll = rng.random()
        i = rng.randrange(len(picked))
        if roll < TYPO_SHARE and len(picked[i]) >= 4:
            picked[i] = typo(picked[i], rng)
        elif roll < TYPO_SHARE + VARIANT_SHARE:
            picked[i] = variant(picked[i], shopper_words, rng)
        queries.setdefault(" ".join(picked))
    return list(queries)


def write_paths(out: Path, name: str, paths: list[str]) -> None:
    split = max(1, int(len(paths) * WARMUP_SHARE))
    (out / f"{name}-warmup.txt").write_text("\n".join(paths[:split]) + "\n")
    (out / f"{name}.txt").write_text("\n".join(paths[split:]) + "\n")
    print(f"varied_traffic: {name}: {split} warm-up + {len(paths) - split} measured paths")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="directory for the path files")
    parser.add_argument("--searches", type=int, default=20_000, help="distinct searches wanted")
    args = parser.parse_args()
    if not args.out.is_dir():
        parser.error(f"--out {args.out} is not a directory")
    setup_django()
    from catalog.models import Product
    from catalog.search.text import words

    rng = random.Random(SEED)
    rows = list(Product.objects.filter(is_active=True).order_by("pk").values_list("slug", "title"))
    if not rows:
        sys.exit("No active products: run bench/load_products.py first.")
    titles = [[w for w in words(title) if not w.isdigit()] for _, title in rows]
    titles = [t for t in titles if t]
    queries = search_queries(titles, args.searches, rng)
    write_paths(args.out, "search", [f"/catalog/?{urlencode({'q': q})}" for q in queries])
    slugs = [slug for slug, _ in rows]
    rng.shuffle(slugs)
    write_paths(args.out, "product", [f"/products/{slug}/" for slug in slugs])


if __name__ == "__main__":
    main()
