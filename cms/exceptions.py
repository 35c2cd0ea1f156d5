from core.exceptions import ApplicationError


class PromotionRefused(ApplicationError):
    code = "promotion_refused"
    status = 409
