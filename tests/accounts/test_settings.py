"""Production cookies and the throttling limits, as a freshly started server process sees them."""

import pytest

from tests.smplat.test_settings import PRODUCTION, STRIPE_KEY, check_deploy, setting


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SESSION_COOKIE_SECURE", "True"),
        ("SESSION_COOKIE_HTTPONLY", "True"),
        ("SESSION_COOKIE_SAMESITE", "Lax"),
        ("SESSION_COOKIE_NAME", "__Host-sessionid"),
        ("CSRF_COOKIE_SECURE", "True"),
        ("CSRF_COOKIE_SAMESITE", "Lax"),
        ("CSRF_COOKIE_NAME", "__Host-csrftoken"),
        ("SECURE_HSTS_SECONDS", "31536000"),
        ("AXES_FAILURE_LIMIT", "10"),
        ("AXES_COOLOFF_TIME", "1:00:00"),
    ],
)
def test_production_settings(name, value):
    assert setting(name, **PRODUCTION, **STRIPE_KEY) == value


@pytest.mark.parametrize(
    ("limit", "minutes"), [("101", "60"), ("60", "30"), ("0", "60"), ("10", "0")]
)
def test_throttling_beyond_100_failures_an_hour_refuses_to_start(limit, minutes):
    done = check_deploy(
        **PRODUCTION, **STRIPE_KEY, AXES_FAILURE_LIMIT=limit, AXES_COOLOFF_MINUTES=minutes
    )
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and "AXES_" in done.stderr


def test_the_loosest_allowed_throttling_starts():
    done = check_deploy(
        **PRODUCTION, **STRIPE_KEY, AXES_FAILURE_LIMIT="100", AXES_COOLOFF_MINUTES="60"
    )
    assert done.returncode == 0, done.stderr
