"""Failed sign-ins are throttled per account (django-axes, database handler).

The defaults: ten failures, then the account waits an hour after the last checked password;
the lockout page offers the password reset, whose link signs in and clears the count.
"""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.utils import timezone

from .helpers import PASSWORD, account, link_in, sign_in, signed_in_id

pytestmark = pytest.mark.django_db

LIMIT = 10


@pytest.fixture
def dana(throttled):
    return account()


def assert_lockout_page(response):
    assert response.status_code == 429
    assert "Sign-in to this account is paused." in response.text
    assert "1 hour" in response.text
    assert 'href="/accounts/password_reset/"' in response.text


def test_a_burst_of_wrong_passwords_checks_only_the_limit_then_shows_the_lockout_page(
    client, dana, throttled
):
    answers = [sign_in(client, "dana", f"guess {n}") for n in range(30)]
    assert throttled.checks == LIMIT  # the 20 later guesses were never compared
    assert [a.status_code for a in answers[: LIMIT - 1]] == [200] * (LIMIT - 1)
    for locked in answers[LIMIT - 1 :]:
        assert_lockout_page(locked)
    assert signed_in_id(client) is None


def test_the_right_password_is_refused_during_the_lockout(client, dana, throttled):
    for n in range(LIMIT):
        sign_in(client, "dana", f"guess {n}")
    checked = throttled.checks
    assert_lockout_page(sign_in(client, "dana", PASSWORD))
    assert_lockout_page(sign_in(client, "Dana.Client@example.com", PASSWORD))
    assert throttled.checks == checked
    assert signed_in_id(client) is None


def test_the_username_and_the_e_mail_of_one_account_count_together(client, dana, throttled):
    for n in range(LIMIT // 2):
        sign_in(client, "dana", f"guess {n}")
        sign_in(client, "DANA.client@example.com", f"other guess {n}")
    assert_lockout_page(sign_in(client, "dana", PASSWORD))
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {"dana"}


def test_attempts_from_many_addresses_count_for_the_one_account(client, dana, throttled):
    for n in range(LIMIT):
        sign_in(client, "dana", f"guess {n}", REMOTE_ADDR=f"203.0.113.{n}")
    assert_lockout_page(sign_in(client, "dana", PASSWORD, REMOTE_ADDR="198.51.100.7"))


def test_a_locked_account_does_not_lock_another(client, dana, throttled):
    other = account("erin", email="erin@example.com")
    for n in range(LIMIT + 5):
        sign_in(client, "dana", f"guess {n}")
    assert sign_in(client, "erin").status_code == 302
    assert signed_in_id(client) == str(other.pk)


def test_a_successful_sign_in_resets_the_count(client, dana, throttled):
    for n in range(LIMIT - 1):
        sign_in(client, "dana", f"guess {n}")
    assert sign_in(client, "dana").status_code == 302
    client.logout()
    for n in range(LIMIT - 1):
        assert sign_in(client, "dana", f"again {n}").status_code == 200
    assert sign_in(client, "dana").status_code == 302


def test_the_lockout_ends_an_hour_after_the_last_checked_password(client, dana, throttled):
    for n in range(LIMIT + 3):
        sign_in(client, "dana", f"guess {n}")
    # Refused attempts during the lockout did not move its end.
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=59))
    assert_lockout_page(sign_in(client, "dana", PASSWORD))
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=61))
    assert sign_in(client, "dana").status_code == 302


def test_the_reset_link_from_the_lockout_page_signs_in_and_clears_the_lock(client, dana, throttled):
    for n in range(LIMIT):
        sign_in(client, "dana", f"guess {n}")
    reset = client.post("/accounts/password_reset/", {"email": "dana.client@example.com"})
    assert reset["Location"] == "/accounts/password_reset/done/"
    (message,) = mail.outbox
    chosen = client.get(link_in(message.body, "/accounts/reset/"), follow=True)
    assert "Choose a new password" in chosen.text
    done = client.post(
        chosen.redirect_chain[-1][0],
        {"new_password1": "a new long passphrase", "new_password2": "a new long passphrase"},
    )
    assert done["Location"] == "/accounts/reset/done/"
    assert signed_in_id(client) == str(dana.pk)
    assert not AccessAttempt.objects.exists()
    client.logout()
    assert sign_in(client, "dana", "a new long passphrase").status_code == 302


def test_the_typed_password_is_never_stored_with_the_attempts(client, dana, throttled):
    sign_in(client, "dana", "my-secret-guess-42")
    attempt = AccessAttempt.objects.get()
    assert "my-secret-guess-42" not in attempt.post_data


def test_unknown_names_are_throttled_too_without_case(client, throttled):
    for n in range(LIMIT):
        sign_in(client, "Ghost@Example.com" if n % 2 else "ghost@example.com", f"guess {n}")
    assert_lockout_page(sign_in(client, "GHOST@example.com", "whatever"))
