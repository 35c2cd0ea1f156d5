from core.exceptions import ApplicationError


class InvalidTransition(ApplicationError):
    code = "invalid_transition"
    status = 409
