"""What the account tests do as a visitor would: fill in the forms, read the pages."""

import re

from django.contrib.auth import get_user_model

PASSWORD = "correct horse battery"


def account(username="dana", email="Dana.Client@example.com", **kwargs):
    return get_user_model().objects.create_user(username, email=email, password=PASSWORD, **kwargs)


def sign_in(client, identifier, password=PASSWORD, **extra):
    return client.post("/accounts/login/", {"username": identifier, "password": password}, **extra)


def form_token(response) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text)[1]


def signed_in_id(client) -> str | None:
    return client.session.get("_auth_user_id")


def link_in(body: str, path: str) -> str:
    """The one link to `path…` in an e-mail body, as a path the test client can open."""
    (url,) = re.findall(rf"https?://[^\s\"<>]+{re.escape(path)}[^\s\"<>]*", body)
    return re.sub(r"^https?://[^/]+", "", url)
