from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    """Staff screens that combine apps (an app's admin with another app's rows on it)."""

    name = "backoffice"
    verbose_name = "Back office"
