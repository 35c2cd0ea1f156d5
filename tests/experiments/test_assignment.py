"""Variant assignment: stable per visitor and account, in the configured proportions."""

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from experiments.assignment import assignment_unit, variant_for

ROOT = Path(__file__).resolve().parents[2]
HALF = [("control", 50), ("bundle", 50)]
THREE = [("control", 20), ("copy", 30), ("bundle", 50)]


def visitors(n):
    return [assignment_unit(account_id=None, visitor_id=f"v{i:05d}") for i in range(n)]


@pytest.mark.parametrize("weights", [HALF, THREE], ids=["50/50", "20/30/50"])
def test_ten_thousand_visitors_split_within_two_points_of_the_weights(weights):
    seen = Counter(
        variant_for(experiment_key="hero-2026", unit=u, weights=weights) for u in visitors(10_000)
    )
    total = sum(w for _, w in weights)
    for name, weight in weights:
        assert abs(seen[name] / 10_000 - weight / total) < 0.02, (name, seen)


def test_the_same_visitor_gets_the_same_variant_in_another_process():
    units = visitors(200)
    here = [variant_for(experiment_key="hero-2026", unit=u, weights=THREE) for u in units]
    script = (
        "import json, sys\n"
        "from experiments.assignment import variant_for\n"
        "units, weights = json.load(sys.stdin)\n"
        "print(json.dumps([variant_for(experiment_key='hero-2026', unit=u,"
        " weights=[tuple(w) for w in weights]) for u in units]))\n"
    )
    other = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps([units, THREE]),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        env={"PYTHONHASHSEED": "random", "PATH": ""},
    )
    assert json.loads(other.stdout) == here
    assert len(set(here)) == 3


def test_a_signed_in_client_keeps_the_variant_on_a_second_device():
    phone = assignment_unit(account_id=42, visitor_id="cookie-on-phone")
    laptop = assignment_unit(account_id=42, visitor_id="cookie-on-laptop")
    assert phone == laptop
    assert variant_for(experiment_key="x", unit=phone, weights=HALF) == variant_for(
        experiment_key="x", unit=laptop, weights=HALF
    )


def test_experiments_split_independently_of_each_other():
    units = visitors(4_000)
    first = [variant_for(experiment_key="a", unit=u, weights=HALF) for u in units]
    second = [variant_for(experiment_key="b", unit=u, weights=HALF) for u in units]
    same = sum(x == y for x, y in zip(first, second, strict=True)) / len(units)
    assert 0.45 < same < 0.55


def test_a_variant_weighted_zero_is_never_shown():
    seen = {
        variant_for(experiment_key="x", unit=u, weights=[("control", 1), ("off", 0)])
        for u in visitors(1_000)
    }
    assert seen == {"control"}


@pytest.mark.parametrize("weights", [[], [("a", 0)], [("a", 60), ("b", -10)]])
def test_weights_that_split_nothing_are_refused(weights):
    with pytest.raises(ValueError):
        variant_for(experiment_key="x", unit="visitor:1", weights=weights)
