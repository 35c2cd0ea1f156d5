from core.exceptions import ApplicationError


class CartError(ApplicationError):
    code = "cart_invalid"


class CheckoutError(ApplicationError):
    code = "checkout_invalid"


class GatewayError(ApplicationError):
    """The payment provider could not be reached or refused the request."""

    code = "gateway_unavailable"
    status = 502


class RefundRefused(GatewayError):
    """The provider answered and refused the refund (`code` is its error code)."""

    code = "refund_refused"


class SignatureInvalid(ApplicationError):
    code = "signature_invalid"


class MalformedEvent(ApplicationError):
    code = "malformed_event"


class EventIgnored(Exception):
    """A verified event that does not concern us (not our session, unknown subscription…)."""


class SessionNotRegenerable(ApplicationError):
    code = "session_not_regenerable"
    status = 409


class SessionNotExpirable(ApplicationError):
    code = "session_not_open"
    status = 409
