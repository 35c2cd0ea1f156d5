from django.conf import settings

from .base import HostedSession, LineItem, PaymentGateway, SessionRequest

__all__ = ["HostedSession", "LineItem", "PaymentGateway", "SessionRequest", "get_gateway"]


def get_gateway() -> PaymentGateway:
    """The gateway chosen by settings; built per call so tests and settings changes apply."""
    if settings.PAYMENT_GATEWAY == "stripe":
        from .stripe_gateway import StripeGateway

        return StripeGateway(
            api_key=settings.STRIPE_SECRET_KEY,
            webhook_secret=settings.STRIPE_WEBHOOK_SECRET,
            timeout=settings.STRIPE_HTTP_TIMEOUT,
            api_base=settings.STRIPE_API_BASE,
        )
    from .local import LocalGateway

    return LocalGateway(webhook_secret=settings.STRIPE_WEBHOOK_SECRET)
