"""How a variant compares with the control: the standard two-proportion z-test, a confidence
interval for the difference in conversion rates, and the Bayesian probability that the
variant's rate is the higher one."""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

STANDARD_NORMAL = NormalDist()
# The normal approximations below hold once each arm has this many exposures and at least
# this many conversions and non-conversions; until then results carry a warning.
MIN_EXPOSURES = 100
MIN_OUTCOMES = 5


@dataclass(frozen=True)
class Arm:
    exposures: int
    conversions: int

    def __post_init__(self):
        if self.exposures < 0 or not 0 <= self.conversions <= self.exposures:
            raise ValueError("need 0 <= conversions <= exposures")

    @property
    def rate(self) -> float:
        return self.conversions / self.exposures if self.exposures else 0.0

    @property
    def enough(self) -> bool:
        failures = self.exposures - self.conversions
        return self.exposures >= MIN_EXPOSURES and min(self.conversions, failures) >= MIN_OUTCOMES


@dataclass(frozen=True)
class Comparison:
    difference: float  # variant rate - control rate
    z: float  # pooled two-proportion z statistic (0 when undefined)
    p_value: float  # two-sided
    low: float  # confidence interval of the difference (unpooled standard error)
    high: float
    probability_to_beat: float  # P(variant rate > control rate), Beta(1, 1) priors
    enough: bool  # both arms large enough for the approximations


def compare(control: Arm, variant: Arm, *, confidence: float = 0.95) -> Comparison:
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    difference = variant.rate - control.rate
    z, p_value = 0.0, 1.0
    low = high = difference
    if control.exposures and variant.exposures:
        pooled = (control.conversions + variant.conversions) / (
            control.exposures + variant.exposures
        )
        pooled_se = math.sqrt(
            pooled * (1 - pooled) * (1 / control.exposures + 1 / variant.exposures)
        )
        if pooled_se:
            z = difference / pooled_se
            p_value = math.erfc(abs(z) / math.sqrt(2))
        se = math.sqrt(
            control.rate * (1 - control.rate) / control.exposures
            + variant.rate * (1 - variant.rate) / variant.exposures
        )
        margin = STANDARD_NORMAL.inv_cdf(0.5 + confidence / 2) * se
        low, high = difference - margin, difference + margin
    return Comparison(
        difference=difference,
        z=z,
        p_value=p_value,
        low=low,
        high=high,
        probability_to_beat=_probability_to_beat(control, variant),
        enough=control.enough and variant.enough,
    )


def _probability_to_beat(control: Arm, variant: Arm) -> float:
    """P(variant > control) with each rate's Beta posterior approximated by a normal
    distribution of the same mean and variance (close once the arms have a few dozen
    exposures; exact integration is not worth its cost on a results page)."""

    def moments(arm: Arm) -> tuple[float, float]:
        a, b = arm.conversions + 1, arm.exposures - arm.conversions + 1
        return a / (a + b), a * b / ((a + b) ** 2 * (a + b + 1))

    (mean_c, var_c), (mean_v, var_v) = moments(control), moments(variant)
    return STANDARD_NORMAL.cdf((mean_v - mean_c) / math.sqrt(var_c + var_v))
