"""The order status graph as data; `orders.services.order_transition` (and its batched form,
`order_transition_many`) is the only mover."""

from .models import OrderStatus as S

ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING: frozenset({S.PROCESSING, S.CANCELLED}),
    S.PROCESSING: frozenset({S.ACTIVE, S.COMPLETED, S.ON_HOLD, S.CANCELLED, S.REFUNDED}),
    S.ACTIVE: frozenset({S.COMPLETED, S.ON_HOLD, S.CANCELLED, S.REFUNDED}),
    S.ON_HOLD: frozenset({S.PROCESSING, S.CANCELLED, S.REFUNDED}),
    S.COMPLETED: frozenset({S.REFUNDED, S.CANCELLED}),
    S.CANCELLED: frozenset(),
    S.REFUNDED: frozenset(),
}


def can_transition(from_status: str, to_status: str) -> bool:
    return to_status in ORDER_TRANSITIONS.get(from_status, frozenset())
