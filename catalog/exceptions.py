from core.exceptions import ApplicationError


class InvalidConfiguration(ApplicationError):
    code = "invalid_configuration"


class ProductUnavailable(ApplicationError):
    code = "product_unavailable"


class PresetError(ApplicationError):
    code = "invalid_preset"


class PresetNameTaken(PresetError):
    """The visitor already has a preset of this name; they choose to replace it or keep both."""

    code = "preset_exists"

    def __init__(self, name: str, *, alternative: str):
        super().__init__(f"A preset called “{name}” exists.", extra={"alternative": alternative})
        self.name = name
        self.alternative = alternative
