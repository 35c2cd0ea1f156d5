from core.backoff import RetryPolicy


def test_delays_grow_exponentially_with_equal_jitter_up_to_the_cap():
    policy = RetryPolicy(base=10, cap=300, max_attempts=7)
    low = [policy.delay(n, rng=lambda: 0.0) for n in range(1, 8)]
    high = [policy.delay(n, rng=lambda: 1.0) for n in range(1, 8)]
    assert low == [5, 10, 20, 40, 80, 150, 150]
    assert high == [10, 20, 40, 80, 160, 300, 300]


def test_the_last_attempt_exhausts_the_policy():
    policy = RetryPolicy(base=1, cap=1, max_attempts=3)
    assert [policy.exhausted(n) for n in (1, 2, 3, 4)] == [False, False, True, True]
