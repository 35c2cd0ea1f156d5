"""Sign-in, sign-out and password pages in the storefront's frame (Django's auth views)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import render

from .forms import PasswordResetRequestForm, SignInForm
from .services import duration_text

# Signing in after a reset link logs in without a password check, so it names the backend.
BACKEND = "accounts.backends.EmailOrUsernameBackend"


class SignInView(auth_views.LoginView):
    form_class = SignInForm


class SignOutView(auth_views.LogoutView):
    """POST signs out; a typed GET /accounts/logout/ gets a page with the button (not a 405)."""

    http_method_names = ["get", "post", "options"]
    template_name = "registration/logout_confirm.html"

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(next=self.get_redirect_url()))

    def post(self, request, *args, **kwargs):
        signed_in = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        if signed_in:
            messages.success(request, "You are signed out.")
        return response


class PasswordResetRequestView(auth_views.PasswordResetView):
    form_class = PasswordResetRequestForm


class PasswordChooseView(auth_views.PasswordResetConfirmView):
    """The reset link's page: choosing the password proves the mailbox, so it signs in (which
    also clears a sign-in lockout: the way out the lockout page offers)."""

    post_reset_login = True
    post_reset_login_backend = BACKEND


class PasswordSetView(PasswordChooseView):
    """The link in the first order e-mail of an account created at checkout."""

    template_name = "registration/password_set.html"
    success_url = settings.LOGIN_REDIRECT_URL

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "Your password is set and you are signed in.")
        return response


def locked_out(request, original_response=None, credentials=None):
    """django-axes' answer once an account has too many failed sign-ins (AXES_LOCKOUT_CALLABLE)."""
    cool_off = duration_text(settings.AXES_COOLOFF_TIME.total_seconds())
    return render(request, "registration/locked_out.html", {"cool_off": cool_off}, status=429)
