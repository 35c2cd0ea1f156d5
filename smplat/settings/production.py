"""Production: every secret comes from the environment, none has a default."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import (
    DEVELOPMENT_WEBHOOK_SECRET,
    METRICS_PUBLIC,
    METRICS_TOKEN,
    OPS_CHAT_WEBHOOK_URL,
    PAYMENT_GATEWAY,
    STRIPE_SECRET_KEY,
    env,
)

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
CHECKOUT_API_KEY = env("CHECKOUT_API_KEY")
if len(CHECKOUT_API_KEY) < 16:  # the operator API's only lock: an empty key must not open it
    raise ImproperlyConfigured("CHECKOUT_API_KEY must be a secret of at least 16 characters.")

# /metrics shows order volumes and revenue: behind a token, or open on an internal bind only when
# the operator says so.
if not METRICS_PUBLIC and len(METRICS_TOKEN) < 16:
    raise ImproperlyConfigured(
        "METRICS_TOKEN must be a secret of at least 16 characters (Prometheus sends it as "
        "`Authorization: Bearer …`), or set METRICS_PUBLIC=true when /metrics is reachable from "
        "an internal network only."
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
# Cookies only over HTTPS, the session's out of reach of scripts; Lax keeps a link from an
# e-mail signed in while other sites' forms arrive without them. "__Host-" names make browsers
# refuse these cookies unless Secure, for this host only and for every path.
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_NAME = "__Host-csrftoken"
# Whoever knows the webhook secret can sign an event that marks an order paid: refuse an empty
# one and the development default, which is in the source.
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")
if not STRIPE_WEBHOOK_SECRET or STRIPE_WEBHOOK_SECRET == DEVELOPMENT_WEBHOOK_SECRET:
    raise ImproperlyConfigured(
        "STRIPE_WEBHOOK_SECRET must be the endpoint's signing secret (whsec_…) from Stripe, or "
        "in a demo a secret of your own; the development default is public."
    )
SERVE_MEDIA = env.bool("DJANGO_SERVE_MEDIA", default=False)

# Payments fail closed. The simulated gateway's page lets any buyer mark their own order paid,
# so a production process takes payments through Stripe, or runs as a demo that says so.
DEMO_SIMULATED_PAYMENTS_NO_MONEY_MOVES = env.bool(
    "DEMO_SIMULATED_PAYMENTS_NO_MONEY_MOVES", default=False
)
if DEMO_SIMULATED_PAYMENTS_NO_MONEY_MOVES:
    if STRIPE_SECRET_KEY:
        raise ImproperlyConfigured(
            "DEMO_SIMULATED_PAYMENTS_NO_MONEY_MOVES=true and STRIPE_SECRET_KEY are both set: "
            "a demo takes no money, a shop takes it through Stripe. Unset one of them."
        )
    PAYMENT_GATEWAY = "local"
elif not STRIPE_SECRET_KEY.startswith(("sk_live_", "sk_test_", "rk_live_", "rk_test_")):
    raise ImproperlyConfigured(
        "STRIPE_SECRET_KEY is missing or is not a Stripe secret key (sk_live_…/sk_test_…): "
        "production takes payments through Stripe only. A demo deployment in which no money "
        "moves sets DEMO_SIMULATED_PAYMENTS_NO_MONEY_MOVES=true instead."
    )
elif PAYMENT_GATEWAY != "stripe":
    raise ImproperlyConfigured(
        "PAYMENT_GATEWAY=local in production needs DEMO_SIMULATED_PAYMENTS_NO_MONEY_MOVES=true "
        "(and no STRIPE_SECRET_KEY)."
    )

# Chat messages carry customers' e-mail addresses: over HTTPS only, when chat is on at all.
if OPS_CHAT_WEBHOOK_URL and not OPS_CHAT_WEBHOOK_URL.startswith("https://"):
    raise ImproperlyConfigured("OPS_CHAT_WEBHOOK_URL must be an https:// address (or empty).")
