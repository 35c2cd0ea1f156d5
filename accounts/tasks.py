"""django-q2 entry points: load by id, call a service."""

from . import services


def password_reset_email_send(user_id: int) -> bool:
    return services.password_reset_email_send(user_id=user_id)
