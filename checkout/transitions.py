"""Status graphs as data. For sessions, a confirmed payment wins over any earlier local state."""

from .models import DuplicatePayment
from .models import SessionStatus as S

SESSION_TRANSITIONS: dict[str, frozenset[str]] = {
    S.OPEN: frozenset({S.COMPLETE, S.EXPIRED, S.ABANDONED}),
    # The customer cancelled, but may still come back and pay before it expires.
    S.ABANDONED: frozenset({S.COMPLETE, S.EXPIRED}),
    # Our sweep may expire a session before a delayed `completed` event arrives.
    S.EXPIRED: frozenset({S.COMPLETE}),
    S.COMPLETE: frozenset(),
}

# A second payment's refund: staff may send a failed one back to the gateway.
_D = DuplicatePayment.Status
DUPLICATE_PAYMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    _D.PENDING: frozenset({_D.REFUNDED, _D.FAILED}),
    _D.FAILED: frozenset({_D.PENDING}),
    _D.REFUNDED: frozenset(),
}
