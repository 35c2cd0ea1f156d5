from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    """What combines apps for operators: admin screens with other apps' rows on them, the
    worker queues and their commands, demo seeding."""

    name = "backoffice"
    verbose_name = "Back office"
