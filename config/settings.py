"""Settings, all read from the environment (12-factor). `.env.example` lists every variable."""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
# No default outside DEBUG: a production process without a secret must not start.
SECRET_KEY = env.str("SECRET_KEY", default="") or ("dev-insecure" if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set: set it (50+ random characters, see .env.example), "
        "or DEBUG=1 on a development machine."
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "phoneref.auth.apps.PasswordAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "phoneref.core",
    "phoneref.users",
    "phoneref.auth",
    "phoneref.abuse",
    "phoneref.sms",
]

MIDDLEWARE = [
    "phoneref.core.middleware.RequestIdMiddleware",
    "phoneref.core.middleware.ContentSecurityPolicyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Django's, letting health probes through whatever their Host header.
    "phoneref.core.middleware.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _postgresql_url() -> str:
    """DATABASE_URL, which must name PostgreSQL: the one database from `make run` to
    production (SPEC 1). Anything else stops the process here, as a missing SECRET_KEY does
    (manage.py prints the one line), before any part of the service can half-work on
    another database."""
    url = env.str("DATABASE_URL", default="")
    scheme = urlsplit(url).scheme
    if environ.Env.DB_SCHEMES.get(scheme) != "django.db.backends.postgresql":
        problem = f"names a {scheme}:// database" if scheme else "is not a PostgreSQL URL"
        raise ImproperlyConfigured(
            f"DATABASE_URL {problem if url else 'is not set'}: phoneref needs PostgreSQL, "
            "e.g. DATABASE_URL=postgres://user:password@host:5432/phoneref "
            "(`make run` and `make test` start one of their own when it is unset)."
        )
    return url


# What sits between the app and PostgreSQL: `none` (a direct connection, or a session-pooling
# proxy) or `transaction` (a transaction-pooling proxy such as PgBouncer's pool_mode=transaction,
# which hands each transaction whatever server connection is free, so nothing may outlive one).
DATABASE_POOLER = env.str("DATABASE_POOLER", default="none")
if DATABASE_POOLER not in {"none", "transaction"}:
    raise ImproperlyConfigured(
        f"DATABASE_POOLER must be 'none' or 'transaction', not {DATABASE_POOLER!r}"
    )
DATABASES = {"default": env.db_url_config(_postgresql_url())}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A database that is down or unreachable must cost a request seconds, not minutes: the
# request then answers 503 and the client retries.
DATABASES["default"]["OPTIONS"] = {
    "connect_timeout": env.int("DATABASE_CONNECT_TIMEOUT", default=3),
}
if DATABASE_POOLER == "none":
    # Parameters sent apart from the SQL, so psycopg can prepare a statement once a
    # connection has run it twice; pooled connections keep their prepared statements, and
    # the hot queries (token lookup, profile, code request) then skip PostgreSQL's parsing
    # and planning, which took longer than running them. Django turns preparing off unless
    # asked.
    DATABASES["default"]["OPTIONS"].update(server_side_binding=True, prepare_threshold=2)
else:
    # A transaction-pooling proxy may run each transaction on another server connection,
    # where a statement prepared on the last one does not exist; and a server-side cursor
    # outside a transaction would outlive the connection it was opened on. Client-side
    # binding (Django's default) prepares nothing.
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = None
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
if env.bool("DATABASE_POOL", default=False):
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN", default=2),
        "max_size": env.int("DATABASE_POOL_MAX", default=20),
        "timeout": env.float("DATABASE_POOL_TIMEOUT", default=3.0),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": REDIS_URL}}
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

AUTH_USER_MODEL = "users.User"
# The password backend serves the admin's login; the phone-code backend names the sessions a
# verified code starts, which never open the admin (phoneref.auth.admin_site).
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "phoneref.auth.backends.PhoneCodeBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT: Path | None = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Hashed names (cached by browsers for a year) and pre-compressed copies, served by whitenoise;
# `collectstatic` builds them, which `make serve` runs on start.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# `plain` reads well in a terminal; `json` is one object per line, for log collectors.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "phoneref.core.logs.RequestIdFilter"},
        "database_unavailable": {"()": "phoneref.core.logs.DatabaseUnavailableFilter"},
    },
    "formatters": {
        "plain": {
            "()": "phoneref.core.logs.PlainFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
        "json": {"()": "phoneref.core.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own console handler (DEBUG only) printed its lines a second time,
        # unformatted; they reach the handler above like every other logger's.
        "django": {"handlers": [], "propagate": True},
        # Every request is logged once by phoneref.server.app; Django would log 4xx twice.
        "django.request": {"level": "ERROR", "filters": ["database_unavailable"]},
        # httpx logs each provider call's URL, which names the Twilio account; the SMS
        # backends log what happened instead.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["phoneref.auth.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["phoneref.api.parsers.BoundedJSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "phoneref.api.negotiation.JsonFirstNegotiation",
    "DEFAULT_SCHEMA_CLASS": "phoneref.api.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "phoneref.api.exceptions.problem_exception_handler",
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Phone login and referral API",
    "DESCRIPTION": (
        "Log in with a phone number and a one-time code; share and activate invite codes.\n\n"
        "Authenticated requests send `Authorization: Bearer <token>`, the token from "
        "`POST /api/v1/auth/verify-code/`. Errors are RFC 9457 problem details "
        "(`application/problem+json`) with a stable `code`; messages follow `Accept-Language` "
        "(English or Russian)."
    ),
    "VERSION": "1.0.0",
    # Tags come from the path segment after this: `auth`, `profile`.
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "TAGS": [
        {"name": "auth", "description": "Log in with a one-time code, log out."},
        {"name": "profile", "description": "The user's profile, invite codes and referrals."},
    ],
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # validatorUrl: Swagger UI would otherwise load a badge from an outside validator.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# Bearer tokens: opaque 256-bit strings, stored as SHA-512 digests (django-rest-knox).
TOKEN_TTL = timedelta(days=env.int("TOKEN_TTL_DAYS", default=7))
TOKEN_MAX_AGE = timedelta(days=env.int("TOKEN_MAX_AGE_DAYS", default=30))
REST_KNOX = {
    "AUTH_HEADER_PREFIX": "Bearer",
    "TOKEN_TTL": TOKEN_TTL,
    "AUTO_REFRESH": True,
    "AUTO_REFRESH_MAX_TTL": TOKEN_MAX_AGE,
    "MIN_REFRESH_INTERVAL": 60,
}

# Phone numbers and one-time login codes (SPEC 2.1, 2.2).
PHONE_DEFAULT_REGION = env.str("PHONE_DEFAULT_REGION", default="RU")
DEMO_MODE = env.bool("DEMO_MODE", default=False)
# Comma-separated, tried in order: console, locmem, smsru, twilio or a dotted path.
SMS_BACKEND = env.str("SMS_BACKEND", default="console")
# Bounds each provider call; a timeout, a connection error, 429 or 5xx is tried once more.
SMS_TIMEOUT_SECONDS = env.float("SMS_TIMEOUT_SECONDS", default=5.0)
# A provider that fails this many sends in a row is skipped for this long (every process).
SMS_BREAKER_FAILURES = env.int("SMS_BREAKER_FAILURES", default=3)
SMS_BREAKER_SECONDS = env.int("SMS_BREAKER_SECONDS", default=30)
# Delivery records older than this are deleted by `manage.py purge_expired`.
SMS_DELIVERY_RETENTION_DAYS = env.int("SMS_DELIVERY_RETENTION_DAYS", default=30)
SMSRU_API_ID = env.str("SMSRU_API_ID", default="")
SMSRU_FROM = env.str("SMSRU_FROM", default="")
SMSRU_API_URL = env.str("SMSRU_API_URL", default="https://sms.ru")
# The secret in the status callback URL given to SMS.ru; its callbacks are refused unless set.
SMSRU_CALLBACK_SECRET = env.str("SMSRU_CALLBACK_SECRET", default="")
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM = env.str("TWILIO_FROM", default="")
TWILIO_MESSAGING_SERVICE_SID = env.str("TWILIO_MESSAGING_SERVICE_SID", default="")
TWILIO_API_URL = env.str("TWILIO_API_URL", default="https://api.twilio.com")
# The public URL of /sms/callbacks/twilio/, sent with each message; unset: no callbacks.
TWILIO_STATUS_CALLBACK_URL = env.str("TWILIO_STATUS_CALLBACK_URL", default="")
# Fixed-code numbers, "+79990000000:1234,+79990000001:5678": never sent, outside the send
# limits. A production process (DEBUG off) refuses them unless told they are meant.
OTP_TEST_NUMBERS = env.str("OTP_TEST_NUMBERS", default="")
OTP_TEST_NUMBERS_IN_PRODUCTION = env.bool("OTP_TEST_NUMBERS_IN_PRODUCTION", default=False)
if OTP_TEST_NUMBERS and not DEBUG and not OTP_TEST_NUMBERS_IN_PRODUCTION:
    raise ImproperlyConfigured(
        "OTP_TEST_NUMBERS is set with DEBUG off: set OTP_TEST_NUMBERS_IN_PRODUCTION=1 "
        "if fixed-code numbers are meant to work in production"
    )
OTP_DELAY_MIN = env.float("OTP_DELAY_MIN", default=1.0)
OTP_DELAY_MAX = env.float("OTP_DELAY_MAX", default=2.0)
OTP_CODE_LENGTH = env.int("OTP_CODE_LENGTH", default=4)
OTP_TTL_SECONDS = env.int("OTP_TTL_SECONDS", default=300)
OTP_MAX_ATTEMPTS = env.int("OTP_MAX_ATTEMPTS", default=5)
OTP_RESEND_COOLDOWN_SECONDS = env.int("OTP_RESEND_COOLDOWN_SECONDS", default=60)
OTP_SENDS_PER_HOUR = env.int("OTP_SENDS_PER_HOUR", default=5)
OTP_SENDS_PER_DAY = env.int("OTP_SENDS_PER_DAY", default=10)
# Wrong codes per phone from one client network, rolling 24 h (0 = off).
OTP_FAILURES_PER_DAY = env.int("OTP_FAILURES_PER_DAY", default=10)
OTP_IP_SENDS_PER_HOUR = env.int("OTP_IP_SENDS_PER_HOUR", default=20)
# Wrong codes per client network over every phone, per hour (0 = off).
OTP_IP_FAILURES_PER_HOUR = env.int("OTP_IP_FAILURES_PER_HOUR", default=30)

# Invite codes (SPEC 2.4).
INVITE_FAILURES_PER_HOUR = env.int("INVITE_FAILURES_PER_HOUR", default=10)

# Admin password logins (phoneref.auth.admin_site): failures per account from one network in
# 15 minutes, and per network in an hour.
STAFF_LOGIN_FAILURES_PER_ACCOUNT = env.int("STAFF_LOGIN_FAILURES_PER_ACCOUNT", default=5)
STAFF_LOGIN_FAILURES_PER_NETWORK = env.int("STAFF_LOGIN_FAILURES_PER_NETWORK", default=20)

# Per-client limits count an IPv6 client by its network of this prefix length.
CLIENT_IPV6_PREFIX_LENGTH = env.int("CLIENT_IPV6_PREFIX_LENGTH", default=64)

# Abuse defence (phoneref.abuse). Who may receive a code: phonenumbers' number types, by
# name, and ISO 3166 countries (`*` = all).
OTP_ALLOWED_NUMBER_TYPES = env.list(
    "OTP_ALLOWED_NUMBER_TYPES", default=["MOBILE", "FIXED_LINE_OR_MOBILE"]
)
OTP_ALLOWED_COUNTRIES = [
    c.upper() for c in env.list("OTP_ALLOWED_COUNTRIES", default=[PHONE_DEFAULT_REGION])
]
# All sends together, rolling hour, 0 = off.
OTP_SENDS_PER_HOUR_TOTAL = env.int("OTP_SENDS_PER_HOUR_TOTAL", default=0)
# The per-prefix breaker: a prefix is the country code and the next OTP_PREFIX_DIGITS digits.
OTP_PREFIX_BREAKER = env.bool("OTP_PREFIX_BREAKER", default=True)
OTP_PREFIX_DIGITS = env.int("OTP_PREFIX_DIGITS", default=3)
OTP_PREFIX_WINDOW_MINUTES = env.int("OTP_PREFIX_WINDOW_MINUTES", default=60)
OTP_PREFIX_MIN_SENDS = env.int("OTP_PREFIX_MIN_SENDS", default=100)
OTP_PREFIX_RATE_FACTOR = env.float("OTP_PREFIX_RATE_FACTOR", default=3.0)
OTP_PREFIX_MIN_VERIFIED = env.float("OTP_PREFIX_MIN_VERIFIED", default=0.2)
OTP_PREFIX_BASELINE_DAYS = env.int("OTP_PREFIX_BASELINE_DAYS", default=7)
OTP_PREFIX_PAUSE_MINUTES = env.int("OTP_PREFIX_PAUSE_MINUTES", default=60)
# The optional bot check on request-code: turnstile | hcaptcha; off when unset.
CAPTCHA_PROVIDER = env.str("CAPTCHA_PROVIDER", default="").lower()
if CAPTCHA_PROVIDER not in ("", "turnstile", "hcaptcha"):
    raise ImproperlyConfigured("CAPTCHA_PROVIDER must be turnstile, hcaptcha or unset")
CAPTCHA_SITE_KEY = env.str("CAPTCHA_SITE_KEY", default="")
CAPTCHA_SECRET_KEY = env.str("CAPTCHA_SECRET_KEY", default="")
CAPTCHA_VERIFY_URL = env.str("CAPTCHA_VERIFY_URL", default="") or {
    "turnstile": "https://challenges.cloudflare.com/turnstile/v0/siteverify",
    "hcaptcha": "https://api.hcaptcha.com/siteverify",
}.get(CAPTCHA_PROVIDER, "")
if CAPTCHA_PROVIDER and not (CAPTCHA_SITE_KEY and CAPTCHA_SECRET_KEY):
    raise ImproperlyConfigured("CAPTCHA_PROVIDER needs CAPTCHA_SITE_KEY and CAPTCHA_SECRET_KEY")
CAPTCHA_TIMEOUT_SECONDS = env.float("CAPTCHA_TIMEOUT_SECONDS", default=3.0)
# When the provider cannot be reached: 0 refuses the code request (captcha_failed), 1 lets it
# through.
CAPTCHA_FAIL_OPEN = env.bool("CAPTCHA_FAIL_OPEN", default=False)
# Referral fraud flags: this many activations of one code from one network within the window
# flag the later ones (0 = off).
REFERRAL_BURST_ACTIVATIONS = env.int("REFERRAL_BURST_ACTIVATIONS", default=5)
REFERRAL_BURST_WINDOW_MINUTES = env.int("REFERRAL_BURST_WINDOW_MINUTES", default=60)

# How many reverse proxies of ours append to X-Forwarded-For (0: trust none of it).
TRUSTED_PROXY_HOPS = env.int("TRUSTED_PROXY_HOPS", default=0)

# /metrics answers a scraper that sends this as a bearer token; unset, it is not found.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# Serving (SPEC 5; scripts/start). Threads per server process; every request runs in one.
WEB_THREADS = env.int("WEB_THREADS", default=2)
# Larger request bodies are refused with 413 before Django reads them; ours are a few fields.
REQUEST_BODY_MAX_BYTES = env.int("REQUEST_BODY_MAX_BYTES", default=64 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_BODY_MAX_BYTES
# The production server's protocol (phoneref.server.protocol): a longer request line and
# headers get 431; a request not whole this long after its first byte is dropped.
REQUEST_HEAD_MAX_BYTES = env.int("REQUEST_HEAD_MAX_BYTES", default=32 * 1024)
REQUEST_READ_TIMEOUT_SECONDS = env.float("REQUEST_READ_TIMEOUT_SECONDS", default=10.0)

# HTTPS. Production (DEBUG off) defaults to the strict choices `check --deploy` asks for; each
# can be relaxed where TLS ends elsewhere. Behind a TLS-terminating proxy, name the header it
# sets (e.g. X-Forwarded-Proto) so Django knows the original request was https.
_proxy_ssl_header = env.str("SECURE_PROXY_SSL_HEADER", default="")
if _proxy_ssl_header:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Probes from the platform or the container, and the metrics scraper, come over plain HTTP
# from inside.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Pages load only this server's own files: no inline scripts, no other hosts. A view may send
# its own policy (the API docs pages do); phoneref.core.middleware adds this one otherwise.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
