from core.exceptions import ApplicationError


class InvalidConfiguration(ApplicationError):
    code = "invalid_configuration"


class ProductUnavailable(ApplicationError):
    code = "product_unavailable"


class PresetError(ApplicationError):
    code = "invalid_preset"
