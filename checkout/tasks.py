"""django-q2 entry points."""

from .services import sessions_sweep


def sweep_checkout_sessions() -> dict[str, int]:
    return sessions_sweep()
