"""Which account a sign-in name or an e-mail address means."""

import unicodedata

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser


def account_for_identifier(identifier: str) -> AbstractBaseUser | None:
    """The one account a sign-in name means: the account with this exact username, else the
    only account with this e-mail address (any case). Several accounts sharing the address
    mean none of them, so a sign-in never picks one by chance."""
    identifier = identifier.strip()
    if not identifier:
        return None
    User = get_user_model()
    account = User._default_manager.filter(**{User.USERNAME_FIELD: identifier}).first()
    if account is not None:
        return account
    by_email = list(
        User._default_manager.filter(**{f"{User.get_email_field_name()}__iexact": identifier})[:2]
    )
    return by_email[0] if len(by_email) == 1 else None


def account_list_for_email(*, email: str) -> list[AbstractBaseUser]:
    """Active accounts with this e-mail address, with or without a usable password (accounts
    created at checkout have none until their owner sets one)."""
    User = get_user_model()
    field = User.get_email_field_name()
    return [
        account
        for account in User._default_manager.filter(
            **{f"{field}__iexact": email, "is_active": True}
        ).order_by("pk")
        if same_email(getattr(account, field), email)
    ]


def same_email(first: str, second: str) -> bool:
    """Whether two addresses are the same mailbox as the shop sees it: case does not count
    (checkout matches accounts this way, and Django's password reset compares so too)."""
    return _fold(first) == _fold(second)


def _fold(value: str) -> str:
    return unicodedata.normalize("NFKC", value or "").casefold()


def staff_list_with_email() -> list[AbstractBaseUser]:
    """Active staff accounts that have an e-mail address, in account order."""
    User = get_user_model()
    field = User.get_email_field_name()
    return list(
        User._default_manager.filter(is_active=True, is_staff=True)
        .exclude(**{field: ""})
        .order_by("pk")
    )
