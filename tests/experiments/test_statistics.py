"""The results page's statistics against values worked out by hand."""

import pytest

from experiments.statistics import Arm, compare


def test_a_worked_example_gives_the_known_z_p_and_interval():
    # Control 200 of 1,000 (20%), variant 250 of 1,000 (25%). Pooled rate 0.225, so
    # SE = sqrt(0.225 × 0.775 × (1/1000 + 1/1000)) = 0.018675 and z = 0.05 / SE = 2.6774;
    # two-sided p = 2 × (1 − Φ(2.6774)) = 0.00742. Unpooled SE = sqrt(0.2 × 0.8 / 1000 +
    # 0.25 × 0.75 / 1000) = 0.018641; 95%: 0.05 ± 1.96 × SE = [0.01346, 0.08654].
    result = compare(Arm(1000, 200), Arm(1000, 250))
    assert result.difference == pytest.approx(0.05)
    assert result.z == pytest.approx(2.6774, abs=1e-4)
    assert result.p_value == pytest.approx(0.00742, abs=1e-5)
    assert (result.low, result.high) == pytest.approx((0.01346, 0.08654), abs=1e-5)
    # Beta(201, 801) against Beta(251, 751): (0.2505 − 0.2006) / 0.01863 = 2.678 → 0.9963.
    assert result.probability_to_beat == pytest.approx(0.9963, abs=1e-4)
    assert result.enough


def test_a_worse_variant_has_a_negative_difference_and_a_low_chance_to_win():
    result = compare(Arm(1000, 250), Arm(1000, 200))
    assert result.z == pytest.approx(-2.6774, abs=1e-4)
    assert result.high < 0
    assert result.probability_to_beat == pytest.approx(1 - 0.9963, abs=1e-4)


def test_a_99_percent_interval_is_wider():
    narrow = compare(Arm(1000, 200), Arm(1000, 250))
    wide = compare(Arm(1000, 200), Arm(1000, 250), confidence=0.99)
    # 2.5758 × 0.018641 = 0.04802
    assert (wide.low, wide.high) == pytest.approx((0.05 - 0.04802, 0.05 + 0.04802), abs=1e-5)
    assert wide.low < narrow.low and wide.high > narrow.high


def test_identical_arms_show_no_difference():
    result = compare(Arm(500, 50), Arm(500, 50))
    assert (result.difference, result.z, result.p_value) == (0, 0, 1)
    assert result.probability_to_beat == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("control", "variant"),
    [(Arm(40, 8), Arm(40, 10)), (Arm(1000, 3), Arm(1000, 4)), (Arm(0, 0), Arm(200, 20))],
    ids=["few exposures", "few conversions", "an arm never shown"],
)
def test_a_small_sample_is_flagged_and_still_answers(control, variant):
    result = compare(control, variant)
    assert not result.enough
    assert 0 <= result.p_value <= 1


def test_no_conversions_anywhere_is_not_an_error():
    result = compare(Arm(300, 0), Arm(300, 0))
    assert (result.z, result.p_value, result.low, result.high) == (0, 1, 0, 0)


@pytest.mark.parametrize(("exposures", "conversions"), [(-1, 0), (10, 11), (10, -1)])
def test_impossible_counts_are_refused(exposures, conversions):
    with pytest.raises(ValueError):
        Arm(exposures, conversions)
