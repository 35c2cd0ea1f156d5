from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.views.decorators.debug import sensitive_variables

from .services import account_sign_in_lock, password_reset_request

EMAIL_MAX_LENGTH = 254  # RFC 5321's longest address; usernames are shorter


class SignInForm(AuthenticationForm):
    """Django's sign-in form, taking the account's username or its e-mail address."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That e-mail or username and password do not match an account. "
        "Check both (the password is case-sensitive) or reset your password.",
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        field = self.fields["username"]
        field.label = "E-mail or username"
        field.max_length = EMAIL_MAX_LENGTH
        field.widget.attrs.update(maxlength=EMAIL_MAX_LENGTH, autocomplete="username")

    @sensitive_variables()
    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            # The failure django-axes records belongs to this attempt's transaction: it must
            # commit, so nothing raises inside the lock.
            with account_sign_in_lock(identifier=username):
                self.user_cache = authenticate(self.request, username=username, password=password)
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class PasswordResetRequestForm(PasswordResetForm):
    """Django's reset form, reaching accounts without a usable password too (Django's own
    skips them without a word), and sending through a worker instead of in the request."""

    email = forms.EmailField(
        label="E-mail address",
        max_length=EMAIL_MAX_LENGTH,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def save(self, **kwargs) -> None:
        password_reset_request(email=self.cleaned_data["email"])
