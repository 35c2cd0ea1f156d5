from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {**CACHES, "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}  # noqa: F405
Q_CLUSTER = {**Q_CLUSTER, "sync": True}  # noqa: F405
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "WARNING"}}  # noqa: F405
TELEMETRY_FLUSH_SECONDS = 0  # write each search at once
FULFILLMENT_KICK_ON_PAYMENT = False  # tests run the processor themselves
# One folder per pytest-xdist worker (and the processes its tests start), so a test that
# checks what a command left in it never sees another worker's uploads.
MEDIA_ROOT = BASE_DIR / ".test-media" / env("PYTEST_XDIST_WORKER", default="main")  # noqa: F405
NOTIFY_COMBINE_SECONDS = 0  # tests that combine e-mails set their own window
# Every page reads the exact pricing version unless a test asks for the production lag.
PRICING_VERSION_RECENT_SECONDS = env.float("PRICING_VERSION_RECENT_SECONDS", default=0)  # noqa: F405
# The test client's login() authenticates without a request, which django-axes refuses; the
# sign-in throttling tests (tests/accounts) switch it on.
AXES_ENABLED = False
