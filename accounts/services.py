"""Password links, password-reset e-mails and the per-account sign-in lock."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.tokens import default_token_generator
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_q.tasks import async_task

from core.ids import parse_id
from core.models import OutgoingEmail
from core.outbox import RenderedEmail, email_queue

from .selectors import account_for_identifier, account_list_for_email, same_email


@dataclass(frozen=True)
class PasswordLink:
    url: str
    valid_for: str  # "3 days", as an e-mail says it


def password_link(
    *, user: AbstractBaseUser, url_name: str = "password_reset_confirm"
) -> PasswordLink:
    """A one-time link on SITE_URL to choose the account's password (Django's reset token: it
    stops working once the password changes, or after PASSWORD_RESET_TIMEOUT)."""
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse(url_name, kwargs={"uidb64": uidb64, "token": token})
    return PasswordLink(
        url=f"{settings.SITE_URL}{path}", valid_for=duration_text(settings.PASSWORD_RESET_TIMEOUT)
    )


def password_set_link(*, user: AbstractBaseUser, email: str) -> PasswordLink | None:
    """The "set your password" link for an e-mail to `email` about the account's order, or
    None: only an active account that has no usable password yet (created at checkout) gets
    one, and only in a message to its own address, so an order placed with someone else's
    address never hands the account to whoever placed it."""
    if not user.is_active or user.has_usable_password():
        return None
    if not same_email(getattr(user, user.get_email_field_name()), email):
        return None
    return password_link(user=user, url_name="password_set")


RESET_EMAIL_KIND = "password_reset"
RESET_KEY_PREFIX = "password-reset:"  # then the account's id and a nonce: one e-mail per request


def password_reset_request(*, email: str) -> None:
    """Queue a reset e-mail to every active account with this address, including accounts
    without a usable password, and ask a worker to send it now. The request only looks the
    address up and queues, so the answer takes about as long whether or not the address has
    an account, and no request waits for a mail server; one the server refuses is retried by
    the e-mail queue like any other."""
    for account in account_list_for_email(email=email):
        key = f"{RESET_KEY_PREFIX}{account.pk}:{uuid.uuid4().hex}"
        email_queue(
            key=key,
            kind=RESET_EMAIL_KIND,
            to=getattr(account, account.get_email_field_name()),
            subject=_reset_subject(),
            text="",  # written at each attempt, with a fresh link (`password_reset_render`)
        )
        async_task("accounts.tasks.password_reset_email_send", key, task_name="password-reset")


def password_reset_keys_unwanted(keys: list[str]) -> set[str]:
    """The reset e-mails (by key) whose account is gone or inactive by now: one query."""
    User = get_user_model()
    wanted = set(
        User._default_manager.filter(
            pk__in={_reset_account_id(key) for key in keys} - {None}, is_active=True
        ).values_list("pk", flat=True)
    )
    return {key for key in keys if _reset_account_id(key) not in wanted}


def password_reset_render(email: OutgoingEmail) -> RenderedEmail:
    """The reset e-mail with a link made now, so no table keeps a working link and each
    attempt's link is valid from its sending (the account was checked a moment before)."""
    account = get_user_model()._default_manager.get(pk=_reset_account_id(email.key))
    context = {**_reset_context(), "user": account, "link": password_link(user=account)}
    return RenderedEmail(
        subject=_reset_subject(),
        text=render_to_string("registration/password_reset_email.txt", context),
        html=render_to_string("registration/password_reset_email.html", context),
    )


def _reset_account_id(key: str) -> int | None:
    return parse_id(key.removeprefix(RESET_KEY_PREFIX).partition(":")[0])


def _reset_context() -> dict:
    return {"site_name": settings.WAGTAIL_SITE_NAME, "site_url": settings.SITE_URL}


def _reset_subject() -> str:
    text = render_to_string("registration/password_reset_subject.txt", _reset_context())
    return "".join(text.splitlines())


@contextlib.contextmanager
def account_sign_in_lock(*, identifier: str) -> Iterator[None]:
    """Run one sign-in attempt alone for its account, across processes.

    django-axes counts a failure after the password check, so concurrent attempts could all pass
    its "below the limit?" check before any is counted. Holding the account's row lock from
    before that check until the failure is recorded (in this transaction) makes a burst wait
    in line: no more than AXES_FAILURE_LIMIT passwords are ever checked. A row lock needs
    PostgreSQL; SQLite (the embedded default) would lock the whole database for the length of
    a password hash, so there attempts are counted as they finish.
    """
    if not connection.features.has_select_for_update:
        yield
        return
    with transaction.atomic():
        account = account_for_identifier(identifier)
        if account is not None:
            User = get_user_model()
            User._default_manager.select_for_update().filter(pk=account.pk).first()
        yield


def duration_text(seconds: float) -> str:
    """How an e-mail or a page says a length of time: "3 days", "1 hour"."""
    days, rest = divmod(int(seconds), 86400)
    if days and not rest:
        return f"{days} day{'s' if days > 1 else ''}"
    hours = max(1, round(seconds / 3600))
    return f"{hours} hour{'s' if hours > 1 else ''}"
