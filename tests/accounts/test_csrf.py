"""Every account form refuses a POST without the page's CSRF token, and takes it with one."""

import pytest
from django.core import mail
from django.test import Client

from accounts.services import password_link

from .helpers import PASSWORD, account, form_token, link_in, signed_in_id

pytestmark = pytest.mark.django_db

NEW = "a brand new passphrase"


@pytest.fixture
def browser():
    return Client(enforce_csrf_checks=True)


def post_both_ways(browser, path, data):
    """The form sent without a token (refused), then with the token from its page."""
    refused = browser.post(path, data)
    assert refused.status_code == 403, path
    return browser.post(path, {**data, "csrfmiddlewaretoken": form_token(browser.get(path))})


def test_sign_in(browser):
    account()
    accepted = post_both_ways(
        browser, "/accounts/login/", {"username": "dana", "password": PASSWORD}
    )
    assert accepted.status_code == 302 and signed_in_id(browser) is not None


def test_sign_out(browser):
    browser.force_login(account())
    refused = browser.post("/accounts/logout/")
    assert refused.status_code == 403 and signed_in_id(browser) is not None
    token = form_token(browser.get("/accounts/logout/"))
    assert browser.post("/accounts/logout/", {"csrfmiddlewaretoken": token}).status_code == 302
    assert signed_in_id(browser) is None


def test_password_reset_request(browser):
    account()
    assert (
        browser.post("/accounts/password_reset/", {"email": "dana.client@example.com"}).status_code
        == 403
    )
    assert mail.outbox == []
    accepted = post_both_ways(
        browser, "/accounts/password_reset/", {"email": "dana.client@example.com"}
    )
    assert accepted.status_code == 302 and len(mail.outbox) == 1


@pytest.mark.parametrize("link_path", ["/accounts/reset/", "/accounts/set-password/"])
def test_choosing_a_password_from_a_link(browser, link_path):
    dana = account()
    url_name = "password_reset_confirm" if link_path == "/accounts/reset/" else "password_set"
    link = link_in(password_link(user=dana, url_name=url_name).url, link_path)
    form_page = browser.get(link, follow=True).redirect_chain[-1][0]
    data = {"new_password1": NEW, "new_password2": NEW}
    assert browser.post(form_page, data).status_code == 403
    dana.refresh_from_db()
    assert dana.check_password(PASSWORD)
    assert post_both_ways(browser, form_page, data).status_code == 302
    dana.refresh_from_db()
    assert dana.check_password(NEW)


def test_password_change(browser):
    dana = account()
    browser.force_login(dana)
    data = {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW}
    assert browser.post("/accounts/password_change/", data).status_code == 403
    dana.refresh_from_db()
    assert dana.check_password(PASSWORD)
    assert post_both_ways(browser, "/accounts/password_change/", data).status_code == 302
    dana.refresh_from_db()
    assert dana.check_password(NEW)
