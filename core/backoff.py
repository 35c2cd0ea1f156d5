import random


def backoff_seconds(*, attempt: int, base: float, cap: float, rng=random.random) -> float:
    """Exponential backoff with equal jitter: half the delay fixed, half random."""
    delay = min(cap, base * 2 ** max(attempt - 1, 0))
    return delay / 2 + rng() * delay / 2
