from core.exceptions import ApplicationError


class InvalidTransition(ApplicationError):
    code = "invalid_transition"
    status = 409


class ReasonRequired(ApplicationError):
    code = "reason_required"
    status = 400


class OrderNotFound(ApplicationError):
    """No such order, or not the asker's: the same answer, so numbers cannot be probed."""

    code = "order_not_found"
    status = 404
