from core.exceptions import ApplicationError


class InvalidTransition(ApplicationError):
    code = "invalid_transition"
    status = 409


class ReasonRequired(ApplicationError):
    code = "reason_required"
    status = 400
