"""Settings, read from the environment (django-environ).

A fresh checkout runs on SQLite under var/ with mail written to var/mail/.
Production (DEBUG off) refuses to start without SECRET_KEY.
"""

from pathlib import Path

import environ
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
TESTING = env.bool("TESTING", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY in the environment "
            "(for example: export SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(50))')), "
            "or set DEBUG=1 for local development."
        )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if (DEBUG or TESTING) else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    # The admin with the staff two-factor login (dsar/security.py) as its default site.
    "dsar.admin_config.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_q",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "tenants",
    "dsar",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tenants.middleware.StaffTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "csp.middleware.CSPMiddleware",
    "dsar.security.PrivateByDefaultMiddleware",
    "dsar.security.StaffIdleTimeoutMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dsar.root_urls"
WSGI_APPLICATION = "dsar.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "csp.context_processors.nonce",
            ],
        },
    },
]

VAR_DIR.mkdir(exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web and worker share the file: wait for locks instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ar", _("Arabic"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"

# Private files (identity documents, letters, packages) live outside the web root
# and are only ever served through views that check access.
PRIVATE_ROOT = Path(env.str("PRIVATE_ROOT", default=str(VAR_DIR / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": PRIVATE_ROOT}},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = PRIVATE_ROOT
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# An absolute mail directory needs four slashes: filemail:////srv/mail (three give a relative path).
EMAIL_CONFIG = env.email_url("EMAIL_URL", default=f"filemail:///{VAR_DIR / 'mail'}")
vars().update(EMAIL_CONFIG)
if EMAIL_CONFIG.get("EMAIL_BACKEND", "").endswith("filebased.EmailBackend"):
    EMAIL_FILE_PATH = str(BASE_DIR / (EMAIL_CONFIG.get("EMAIL_FILE_PATH") or "var/mail"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="privacy-portal@localhost")

CACHES = {
    "default": env.cache_url("CACHE_URL", default="dbcache://dsar_cache"),
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 8)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Staff sessions also end after this long without a request (dsar.security.StaffIdleTimeoutMiddleware).
STAFF_IDLE_MINUTES = env.int("STAFF_IDLE_MINUTES", default=30)

# --- Security (see SECURITY.md) ---------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "dsar.security.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Staff two-factor (TOTP + recovery codes). Off in development and tests unless asked for.
OTP_REQUIRED = env.bool("OTP_REQUIRED", default=not (DEBUG or TESTING))
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="DSAR portal")
OTP_LOGIN_MINUTES = env.int("OTP_LOGIN_MINUTES", default=5)
OTP_MAX_ATTEMPTS = env.int("OTP_MAX_ATTEMPTS", default=5)
# Lockout: AXES_FAILURE_LIMIT failures for one username from one client IP lock that pair out.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "dsar.security.client_ip"
# Behind a reverse proxy: how many proxies append to X-Forwarded-For (0 = use REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if env.str("SECURE_PROXY_SSL_HEADER", default=""):
    # e.g. SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https when the proxy terminates TLS.
    SECURE_PROXY_SSL_HEADER = tuple(env.list("SECURE_PROXY_SSL_HEADER"))

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG and not TESTING)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
# The preload flag alone does not enlist the domain; submitting it to hstspreload.org does.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG and not TESTING)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG and not TESTING)
SESSION_COOKIE_SAMESITE = "Lax"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# DSAR portal behaviour
CONFIRMATION_LINK_HOURS = env.int("CONFIRMATION_LINK_HOURS", default=72)
CONFIRMATION_REMINDER_HOURS = env.int("CONFIRMATION_REMINDER_HOURS", default=24)
STATUS_LINK_DAYS = env.int("STATUS_LINK_DAYS", default=30)
DOWNLOAD_CODE_MINUTES = env.int("DOWNLOAD_CODE_MINUTES", default=10)
DOWNLOAD_CODE_ATTEMPTS = env.int("DOWNLOAD_CODE_ATTEMPTS", default=5)
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
INTAKE_RATE_PER_IP = env.str("INTAKE_RATE_PER_IP", default="10/h")
INTAKE_RATE_PER_EMAIL = env.str("INTAKE_RATE_PER_EMAIL", default="5/h")
STATUS_LINK_RATE_PER_IP = env.str("STATUS_LINK_RATE_PER_IP", default=INTAKE_RATE_PER_IP)
DOWNLOAD_CODE_RATE = env.str("DOWNLOAD_CODE_RATE", default="5/h")
# Where rate-limit counters live: "db" (one atomic upsert per attempt, exact across processes) or
# "cache" (the default cache; atomic with Redis, CACHE_URL=redis://…).
RATELIMIT_BACKEND = env.str("RATELIMIT_BACKEND", default="db")
if RATELIMIT_BACKEND not in ("db", "cache"):
    raise ImproperlyConfigured(f"RATELIMIT_BACKEND must be 'db' or 'cache', not {RATELIMIT_BACKEND!r}.")
DOWNLOAD_UNLOCK_MINUTES = env.int("DOWNLOAD_UNLOCK_MINUTES", default=30)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

Q_CLUSTER = {
    "name": "dsar",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": env.int("Q_TIMEOUT", default=120),
    "retry": env.int("Q_RETRY", default=180),
    "max_attempts": env.int("Q_MAX_ATTEMPTS", default=5),
    "save_limit": env.int("Q_SAVE_LIMIT", default=1000),
    "ack_failures": True,
    "catch_up": False,
    "orm": "default",
    "sync": env.bool("Q_SYNC", default=False),
    "poll": 1,
}
if env.str("Q_REDIS_URL", default=""):
    Q_CLUSTER.pop("orm")
    Q_CLUSTER["redis"] = env.str("Q_REDIS_URL")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "ERROR"},
        "django-q": {"level": env.str("Q_LOG_LEVEL", default="WARNING")},
    },
}

# Fernet keys for identity documents at rest, newest first (see SECURITY.md for rotation).
FILE_ENCRYPTION_KEYS = env.list("FILE_ENCRYPTION_KEYS", default=[])
