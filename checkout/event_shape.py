"""The shape of the Stripe objects our webhook handlers read: a verified event whose object
does not fit (a list where Stripe sends an object, text where it sends an amount) is
ignored with the reason recorded, rather than failing every delivery Stripe retries.

Each schema is a tuple of types (a value), a dict (an object: the keys listed are checked,
others ignored) or a one-item list (a list of that). `None` is accepted everywhere, as Stripe
sends null for what is not set.
"""

from __future__ import annotations

INT = (int,)  # never bool: `True` is no amount
TEXT = (str,)
PERIOD = {"start": INT, "end": INT}
OBJECT = {
    "id": TEXT,
    "object": TEXT,
    "metadata": {},
    "parent": {"subscription_details": {"metadata": {}}},
    "lines": {"data": [{"period": PERIOD}]},
    "items": {"data": [{"current_period_end": INT}]},
    "refunds": {"data": [{"id": TEXT, "amount": INT, "currency": TEXT, "reason": TEXT}]},
    "last_finalization_error": {"message": TEXT},
    "subscription": TEXT,
    "payment_intent": TEXT,
    "invoice": TEXT,
    "customer": TEXT,
    "currency": TEXT,
    "status": TEXT,
    "payment_status": TEXT,
    "billing_reason": TEXT,
    "period_start": INT,
    "period_end": INT,
    "current_period_end": INT,
    "amount": INT,
    "amount_total": INT,
    "amount_paid": INT,
    "amount_refunded": INT,
    "cancel_at_period_end": (bool,),
}
EVENT = {"created": INT, "data": {"object": OBJECT}}


def shape_problem(value, schema=EVENT, where: str = "event") -> str:
    """Where `value` does not fit `schema` ("" when it fits)."""
    if value is None:
        return ""
    if isinstance(schema, tuple):
        fits = isinstance(value, schema) and not (bool not in schema and isinstance(value, bool))
        return "" if fits else f"{where} is not {'/'.join(t.__name__ for t in schema)}"
    if isinstance(schema, list):
        if not isinstance(value, list):
            return f"{where} is not a list"
        return next(
            (
                p
                for n, item in enumerate(value)
                if (p := shape_problem(item, schema[0], f"{where}[{n}]"))
            ),
            "",
        )
    if not isinstance(value, dict):
        return f"{where} is not an object"
    return next(
        (
            p
            for key, inner in schema.items()
            if (p := shape_problem(value.get(key), inner, f"{where}.{key}"))
        ),
        "",
    )
