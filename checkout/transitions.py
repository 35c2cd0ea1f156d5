"""The hosted-session status graph. A confirmed payment wins over any earlier local state."""

from .models import SessionStatus as S

SESSION_TRANSITIONS: dict[str, frozenset[str]] = {
    S.OPEN: frozenset({S.COMPLETE, S.EXPIRED, S.ABANDONED}),
    # The customer cancelled, but may still come back and pay before it expires.
    S.ABANDONED: frozenset({S.COMPLETE, S.EXPIRED}),
    # Our sweep may expire a session before a delayed `completed` event arrives.
    S.EXPIRED: frozenset({S.COMPLETE}),
    S.COMPLETE: frozenset(),
}
