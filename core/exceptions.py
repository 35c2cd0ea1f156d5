class ApplicationError(Exception):
    """A domain error whose message is safe to show to the user.

    `code` is stable and machine-readable; APIs return it as JSON.
    """

    code = "application_error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.extra = extra or {}
