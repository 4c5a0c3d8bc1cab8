"""Test overrides: fast hashing, an in-memory SMS outbox, no simulated delay."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/phoneref")

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SMS_BACKEND = "locmem"
DEMO_MODE = False
OTP_DELAY_MIN = 0.0
OTP_DELAY_MAX = 0.0
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The test client speaks plain HTTP; production's redirect to HTTPS is tested on a live server.
SECURE_SSL_REDIRECT = False
# Assets come from the app folders through the finders; no collectstatic output is needed,
# and WhiteNoise would warn on every request that there is none.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
