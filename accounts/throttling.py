"""How django-axes counts failed sign-ins: per account, whatever name the attempt used.

`AXES_USERNAME_CALLABLE` points here. The username and the e-mail address of one account give
the same key (the username), so ten wrong passwords lock the account however they are typed;
a name that matches no single account is counted as typed, without case.
"""

from .selectors import account_for_identifier


def attempt_key(request, credentials: dict | None) -> str | None:
    if credentials:
        identifier = credentials.get("username")
    else:
        identifier = getattr(request, "POST", {}).get("username")
    if not identifier:
        return None
    account = account_for_identifier(identifier)
    key = account.get_username() if account is not None else identifier.strip().casefold()
    return key[:255]  # axes' column
