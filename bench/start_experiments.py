"""Start merchandising experiments for the benchmark's "with an experiment running" rows.

Run after bench/varied_traffic.py, with the same environment as the app:

    DATABASE_URL=... .venv/bin/python bench/start_experiments.py --paths WORKDIR/product.txt

One experiment on the repeated product page (every request there is assigned, exposed and
given a visitor cookie: wrk keeps no cookies, so each request is a new visitor), one on the
home page, and one on each of the first --varied product pages of the varied traffic, so
the varied rows read the running experiments on every page and show a variant on some.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from load_products import setup_django

REPEATED_PRODUCT = "instagram-growth"
PITCH = {"hero_heading": "Real followers in 48 hours", "hero_text": "Start today, pay once."}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=Path, required=True, help="the varied product paths")
    parser.add_argument("--varied", type=int, default=20, help="experiments on varied pages")
    args = parser.parse_args()
    setup_django()
    from catalog.models import Product
    from experiments.models import Experiment, Variant
    from experiments.services import experiment_transition

    slugs = re.findall(r"^/products/([^/?]+)/", args.paths.read_text(), flags=re.M)
    chosen = [REPEATED_PRODUCT, *dict.fromkeys(s for s in slugs if s != REPEATED_PRODUCT)]
    pages = [None, *Product.objects.filter(slug__in=chosen[: args.varied + 1])]
    for n, product in enumerate(pages):
        experiment = Experiment.objects.create(key=f"bench-{n}", name=f"Bench {n}", product=product)
        Variant.objects.create(experiment=experiment, name="control", is_control=True)
        Variant.objects.create(experiment=experiment, name="pitch", **PITCH)
        experiment_transition(experiment_id=experiment.pk, to_status=Experiment.Status.RUNNING)
    print(f"{len(pages)} experiments running (home page and {len(pages) - 1} product pages)")


if __name__ == "__main__":
    main()
