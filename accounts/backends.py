"""Sign-in with the username or the e-mail address of an account."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from .selectors import account_for_identifier


class EmailOrUsernameBackend(ModelBackend):
    """ModelBackend (permissions included) that also takes the account's e-mail address.

    The exact username wins; otherwise an e-mail address matched in any case names the account,
    unless several accounts share it: then nobody is signed in (the username still works).
    Throttling happens before this backend runs (`axes.backends.AxesStandaloneBackend`).
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        User = get_user_model()
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        account = account_for_identifier(username)
        if account is None:
            # Hash anyway, so an unknown name takes as long as a wrong password.
            User().set_password(password)
            return None
        if account.check_password(password) and self.user_can_authenticate(account):
            return account
        return None
