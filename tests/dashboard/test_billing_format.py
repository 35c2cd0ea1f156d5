from datetime import timedelta

import pytest

from dashboard.templatetags.billing_format import duration_words, signed


@pytest.mark.parametrize(
    "value, words",
    [
        (timedelta(seconds=10), "under a minute"),
        (timedelta(seconds=-5), "under a minute"),
        (timedelta(seconds=40), "1 min"),
        (timedelta(minutes=59), "59 min"),
        (timedelta(hours=2), "2 h"),
        (timedelta(hours=2, minutes=5), "2 h 5 min"),
        (timedelta(days=1), "1 day"),
        (timedelta(days=4, hours=6, minutes=30), "4 days 6 h"),
    ],
)
def test_a_wait_in_words(value, words):
    assert duration_words(value) == words


@pytest.mark.parametrize("value, text", [(1204, "+1,204"), (-36, "−36"), (0, "0")])
def test_a_change_with_its_sign(value, text):
    assert signed(value) == text
