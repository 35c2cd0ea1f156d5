"""Settings shared by every environment; everything configurable comes from one Env."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A .env file is read only when asked, so a stray file on a server cannot change production.
READ_DOT_ENV_FILE = env.bool("DJANGO_READ_DOT_ENV_FILE", default=False)
if READ_DOT_ENV_FILE:
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Only for development and tests; production.py demands a real one.
SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django_q",
    "django_prometheus",
    "axes",
    "waffle",
    "csp",
    "core",
    "accounts",
    "catalog",
    "checkout",
    "orders",
    "fulfillment",
    "billing",
    "dashboard",
    "experiments",
    "cms",
    "backoffice",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.headers.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "core.paths.NotFoundMiddleware",
    "cms.middleware.MediaWriteErrorMiddleware",
    "core.visitors.VisitorCookieMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "axes.middleware.AxesMiddleware",  # turns a locked-out sign-in into the lockout page
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

# Content-Security-Policy (django-csp): storefront and dashboard pages load scripts, styles,
# images and data from this site only, with no inline script or style (none is written), and
# are framed nowhere. Forms may post here, and checkout's redirect goes on to Stripe's hosted
# page. The two admin sites write inline scripts of their own and keep their own defaults.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/cms-admin/", "/admin/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'", "https://checkout.stripe.com"],
    },
}
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True

ROOT_URLCONF = "smplat.urls"
WSGI_APPLICATION = "smplat.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.site",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + IMMEDIATE transactions make the web server and the worker wait for
    # each other instead of failing with "database is locked". Connections are kept like
    # PostgreSQL's: opening one (Django's functions, the pragmas) costs about a millisecond,
    # more than the queries of most pages.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://smplat")}
# A per-process cache keeps 300 entries unless told otherwise, so most product pages of a
# large catalog would always be cold. A product page keeps one entry (about 3 kB), a search
# two (its page and results, tens of kB): memory per process, see docs/operations.md.
if CACHES["default"]["BACKEND"].endswith("LocMemCache"):
    CACHES["default"].setdefault("OPTIONS", {})["MAX_ENTRIES"] = env.int(
        "CACHE_MAX_ENTRIES", default=20_000
    )

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/dashboard/"
LOGOUT_REDIRECT_URL = "/"

# Accounts (accounts app, ADR 0011): sign-in with the username or the e-mail address, failed
# sign-ins throttled per account by django-axes. Its database handler keeps the counts in the
# application database, so every web process sees the same ones. OWASP ASVS V2.2.1 allows at
# most 100 failed attempts per account per hour: by default 10, then the account waits an hour
# (or its owner resets the password, which signs in and clears the count).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: a locked account is refused unchecked
    "accounts.backends.EmailOrUsernameBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
_cooloff_minutes = env.int("AXES_COOLOFF_MINUTES", default=60)
if AXES_FAILURE_LIMIT < 1 or _cooloff_minutes < 1:
    raise ImproperlyConfigured("AXES_FAILURE_LIMIT and AXES_COOLOFF_MINUTES must be positive.")
if AXES_FAILURE_LIMIT * max(1, 60 / _cooloff_minutes) > 100:
    raise ImproperlyConfigured(
        "AXES_FAILURE_LIMIT failures per AXES_COOLOFF_MINUTES allow more than 100 failed "
        "sign-ins per account per hour (OWASP ASVS V2.2.1): lower the limit or wait longer."
    )
AXES_COOLOFF_TIME = timedelta(minutes=_cooloff_minutes)
# Per account, counted over every address and browser the attempts come from. axes.W006
# advises adding the client address; behind a proxy every client has the proxy's address, so
# that would lock out everybody at once: the account count is the guard ASVS asks for.
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_USERNAME_CALLABLE = "accounts.throttling.attempt_key"  # e-mail and username: one count
AXES_RESET_ON_SUCCESS = True
# Attempts refused during a lockout are not counted, so the wait ends AXES_COOLOFF_MINUTES after
# the last checked password instead of growing with every refused try.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_VERBOSE = False  # no start-up banner in the output of every command

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "media")
SERVE_MEDIA = env.bool("DJANGO_SERVE_MEDIA", default=True)
STORAGES = {
    # A write the disk refuses leaves no partial file and answers the editor (cms.middleware).
    "default": {"BACKEND": "core.storage.MediaStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# Seconds an SMTP connect or send may take before it fails, instead of holding a worker forever.
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=10.0)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="SMPLAT <hello@smplat.localhost>")

SESSION_COOKIE_HTTPONLY = True
# A form from a stale tab gets a storefront page that explains and, for the cart, retries.
CSRF_FAILURE_VIEW = "core.views.csrf_failure"
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

# django-q2 uses the ORM broker on the application database, so any number of
# worker processes on any number of machines share one queue.
Q_CLUSTER = {
    "name": "smplat",
    "orm": "default",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": 60,
    "retry": 120,
    "max_attempts": 1,
    "catch_up": False,
    "save_limit": 1000,
    "poll": 0.5,
}

WAGTAIL_SITE_NAME = "SMPLAT"
WAGTAILADMIN_BASE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
# What staff may upload: images Pillow reads (never SVG, which can carry script), documents of
# a few plain types; each within a size, and images within a pixel count (a small file can
# decompress to gigabytes).
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp"]
WAGTAILIMAGES_MAX_UPLOAD_SIZE = env.int("IMAGE_UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
WAGTAILIMAGES_MAX_IMAGE_PIXELS = 40_000_000
WAGTAILDOCS_EXTENSIONS = ["csv", "pdf", "txt", "xlsx", "zip"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = env.int("DOCUMENT_UPLOAD_MAX_BYTES", default=20 * 1024 * 1024)

SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
# How long the signed order link in an order e-mail opens the order page without a session.
ORDER_LINK_MAX_AGE_DAYS = env.int("ORDER_LINK_MAX_AGE_DAYS", default=30)
# An order e-mail waits this long, so status changes within it go out as one e-mail.
NOTIFY_COMBINE_SECONDS = env.int("NOTIFY_COMBINE_SECONDS", default=60)
CHECKOUT_API_KEY = env("CHECKOUT_API_KEY", default="dev-checkout-key")

# Storefront behaviour.
CATALOG_PAGE_SIZE = 24
CATALOG_CACHE_SECONDS = env.int("CATALOG_CACHE_SECONDS", default=60)
# Pricing data cached under the database's pricing version (never stale; this only bounds
# memory).
PRICING_CACHE_SECONDS = env.int("PRICING_CACHE_SECONDS", default=3600)
# Pages for visitors without a session may use a pricing version this process read this
# recently (so cached listings cost no query); carts, checkout and sessions always read it.
PRICING_VERSION_RECENT_SECONDS = env.float("PRICING_VERSION_RECENT_SECONDS", default=1.0)
SEARCH_QUERY_MAX_LENGTH = 200
TELEMETRY_FLUSH_SECONDS = env.float("TELEMETRY_FLUSH_SECONDS", default=1.0)
TELEMETRY_BATCH = 200

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
        "wagtail": {"level": "WARNING"},
    },
}

# Payments. Without STRIPE_SECRET_KEY the local simulated gateway serves a hosted checkout page
# and signs Stripe-shaped events with STRIPE_WEBHOOK_SECRET exactly as Stripe does; its page
# lets the buyer mark the order paid, so production.py allows it only in a declared demo.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
DEVELOPMENT_WEBHOOK_SECRET = "whsec_local_simulated_gateway"  # public: development only
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default=DEVELOPMENT_WEBHOOK_SECRET)
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")  # e.g. a local fake in tests
STRIPE_HTTP_TIMEOUT = env.float("STRIPE_HTTP_TIMEOUT", default=15.0)  # seconds per try
PAYMENT_GATEWAY = env("PAYMENT_GATEWAY", default="stripe" if STRIPE_SECRET_KEY else "local")
if PAYMENT_GATEWAY not in ("stripe", "local"):
    raise ImproperlyConfigured("PAYMENT_GATEWAY must be 'stripe' or 'local'.")
if PAYMENT_GATEWAY == "stripe" and not STRIPE_SECRET_KEY:
    raise ImproperlyConfigured("PAYMENT_GATEWAY=stripe needs STRIPE_SECRET_KEY.")
# Stripe accepts 30 minutes to 24 hours.
CHECKOUT_SESSION_TTL_MINUTES = min(
    max(env.int("CHECKOUT_SESSION_TTL_MINUTES", default=60), 30), 1440
)
CHECKOUT_SWEEP_GRACE_MINUTES = env.int("CHECKOUT_SWEEP_GRACE_MINUTES", default=5)
WEBHOOK_TOLERANCE_SECONDS = 300
WEBHOOK_MAX_BYTES = 1024 * 1024
# inline: apply each event in the request (a failure answers 500 and Stripe retries).
# queued: record it and answer 200 at once; worker loops apply it and retry failures with
# backoff (high-volume shops; ADR 0006).
STRIPE_WEBHOOK_MODE = env.str("STRIPE_WEBHOOK_MODE", default="inline")
if STRIPE_WEBHOOK_MODE not in ("inline", "queued"):
    raise ImproperlyConfigured("STRIPE_WEBHOOK_MODE must be 'inline' or 'queued'.")
WEBHOOK_MAX_PROCESSING_ATTEMPTS = env.int("WEBHOOK_MAX_PROCESSING_ATTEMPTS", default=8)
WEBHOOK_RETRY_BASE_SECONDS = env.float("WEBHOOK_RETRY_BASE_SECONDS", default=10.0)
WEBHOOK_RETRY_CAP_SECONDS = env.float("WEBHOOK_RETRY_CAP_SECONDS", default=3600.0)

# Fulfillment. Workers claim due tasks in batches under a lease; a task whose lease expires
# (its worker died) becomes due again.
FULFILLMENT_BATCH_SIZE = env.int("FULFILLMENT_BATCH_SIZE", default=50)
FULFILLMENT_LEASE_SECONDS = env.int("FULFILLMENT_LEASE_SECONDS", default=120)
FULFILLMENT_POLL_SECONDS = env.float("FULFILLMENT_POLL_SECONDS", default=2.0)
FULFILLMENT_HEALTH_MAX_LOOP_AGE_SECONDS = env.int(
    "FULFILLMENT_HEALTH_MAX_LOOP_AGE_SECONDS", default=180
)
FULFILLMENT_HEALTH_MAX_DEAD = env.int("FULFILLMENT_HEALTH_MAX_DEAD", default=10)
PROVIDER_PANEL_URL = env("PROVIDER_PANEL_URL", default="")
PROVIDER_PANEL_KEY = env("PROVIDER_PANEL_KEY", default="")
PROVIDER_HTTP_TIMEOUT = env.float("PROVIDER_HTTP_TIMEOUT", default=15.0)
INSTAGRAM_GRAPH_URL = env("INSTAGRAM_GRAPH_URL", default="https://graph.facebook.com/v21.0")
INSTAGRAM_ACCESS_TOKEN = env("INSTAGRAM_ACCESS_TOKEN", default="")
INSTAGRAM_USER_ID = env("INSTAGRAM_USER_ID", default="")
# Sandbox delivery: how often a simulated delivery reports progress.
SANDBOX_POLL_SECONDS = env.float("SANDBOX_POLL_SECONDS", default=5.0)
FULFILLMENT_KICK_ON_PAYMENT = True
CMS_CACHE_SECONDS = env.int("CMS_CACHE_SECONDS", default=300)
# Rendition lookups and site settings live apart from page caches, so clearing those keeps
# them. Each process has its own locmem caches; a shared CACHE_URL shares them all.
for _alias in ("renditions", "config"):
    CACHES.setdefault(
        _alias, {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": _alias}
    )

# Staged rollout (ADR 0014): django-waffle flags in core.Flag, which buckets a percentage by
# account, never by cookie. Flags are read through their own cache alias: none (every request
# reads the database) unless a shared cache is configured, so a flag edit holds in every
# process at once. The model is fixed before waffle's first migration and cannot change later.
WAFFLE_FLAG_MODEL = "core.Flag"
# waffle's own migrations create its Flag tables even when the model is swapped (waffle issue
# #338); those tables would hold foreign keys to users that nothing clears. Its migrations are
# replaced by one that marks Flag swapped (compare with waffle's on every waffle upgrade).
MIGRATION_MODULES = {"waffle": "core.waffle_migrations"}
WAFFLE_ENABLE_ADMIN_PAGES = False  # core/admin.py registers core.Flag with waffle's FlagAdmin
WAFFLE_CACHE_NAME = "flags"
CACHES["flags"] = env.cache("FLAGS_CACHE_URL", default=env("CACHE_URL", default="dummycache://"))
if CACHES["flags"]["BACKEND"].endswith("LocMemCache"):  # per process: stale elsewhere
    CACHES["flags"] = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}

# Billing centre. The seller on every printable invoice (SELLER_ADDRESS: lines split by ";");
# amounts are tax-free, as SELLER_TAX_NOTE says. Campaigns promise delivery this many days
# after payment: the billing centre shows each order as on time or late against it.
SELLER_NAME = env("SELLER_NAME", default="SMPLAT Growth Studio")
SELLER_ADDRESS = env(
    "SELLER_ADDRESS", default="1 Market Street; Suite 400; San Francisco, CA 94105; United States"
)
SELLER_EMAIL = env("SELLER_EMAIL", default="billing@smplat.localhost")
SELLER_TAX_ID = env("SELLER_TAX_ID", default="")
SELLER_TAX_NOTE = env(
    "SELLER_TAX_NOTE", default="Tax-free: no VAT or sales tax is charged on these services."
)
DELIVERY_PROMISE_DAYS = env.int("DELIVERY_PROMISE_DAYS", default=14)
# Client dashboard overview (/dashboard/): how often the progress of an order under way
# refreshes (in place with JavaScript, the whole page without).
DASHBOARD_PROGRESS_REFRESH_SECONDS = env.int("DASHBOARD_PROGRESS_REFRESH_SECONDS", default=15)

# Metrics (docs/operations.md, "Metrics"): /metrics wants `Authorization: Bearer METRICS_TOKEN`
# when a token is set; without one it is open, which production.py allows only with
# METRICS_PUBLIC=true (an internal bind nobody outside can reach). django-prometheus' migration
# gauges would query the database on every start of every process, so they stay off.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_PUBLIC = env.bool("METRICS_PUBLIC", default=False)
PROMETHEUS_EXPORT_MIGRATIONS = False

# Recovery e-mails and operators' chat (docs/operations.md, "Recovery e-mails and chat
# notifications"). A customer whose last payment page expired or was abandoned this long ago,
# unpaid, gets one e-mail with a way back to payment; 0 sends none.
CHECKOUT_RECOVERY_DELAY_MINUTES = env.int("CHECKOUT_RECOVERY_DELAY_MINUTES", default=60)
# A Slack-compatible incoming webhook; empty: no chat message is queued.
OPS_CHAT_WEBHOOK_URL = env("OPS_CHAT_WEBHOOK_URL", default="")
OPS_CHAT_TIMEOUT = env.float("OPS_CHAT_TIMEOUT", default=5.0)  # seconds per try
# An abandoned or expired checkout of at least this much (minor units of the order's
# currency) is posted to the chat.
OPS_CHAT_ABANDONED_MIN_AMOUNT = env.int("OPS_CHAT_ABANDONED_MIN_AMOUNT", default=50_000)
# This many Stripe events failing within the window is posted (once per window).
OPS_CHAT_WEBHOOK_FAILURES = env.int("OPS_CHAT_WEBHOOK_FAILURES", default=5)
OPS_CHAT_WEBHOOK_WINDOW_MINUTES = env.int("OPS_CHAT_WEBHOOK_WINDOW_MINUTES", default=15)
# The weekly digest task stops starting batches after this long and queues its continuation,
# so each run ends well within django-q2's 60 s task timeout.
DIGEST_TASK_SECONDS = env.float("DIGEST_TASK_SECONDS", default=40.0)

# Bundle proposals (docs/operations.md, "Bundle proposals"): pairs of services in at least
# BUNDLE_PROPOSAL_MIN_ORDERS paid orders of the last BUNDLE_PROPOSAL_DAYS days, bought together
# more often than chance (lift above BUNDLE_PROPOSAL_MIN_LIFT), become drafts for staff.
BUNDLE_PROPOSAL_DAYS = env.int("BUNDLE_PROPOSAL_DAYS", default=90)
BUNDLE_PROPOSAL_MIN_ORDERS = env.int("BUNDLE_PROPOSAL_MIN_ORDERS", default=3)
BUNDLE_PROPOSAL_MIN_LIFT = Decimal(env.str("BUNDLE_PROPOSAL_MIN_LIFT", default="1"))
# The saving an accepted proposal's draft bundle starts with; staff set the real one.
BUNDLE_PROPOSAL_DISCOUNT_PERCENT = Decimal(
    env.str("BUNDLE_PROPOSAL_DISCOUNT_PERCENT", default="10")
)
