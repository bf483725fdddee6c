"""Settings, all from the environment, with embedded defaults (docs/configuration.md)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE

from config.env import env_bool, env_list, env_number, refuse

BASE_DIR = Path(__file__).resolve().parent.parent


# Made by what first writes into it (config/sqlite3/base.py, the stages), not here:
# importing the settings creates nothing.
PIPELINE_DATA_DIR = Path(os.environ.get("PIPELINE_DATA_DIR", BASE_DIR / "var")).resolve()
# Unset = derived from PIPELINE_DATA_DIR (see pipeline_ops/pipeline/paths.py).
WAREHOUSE_PATH = os.environ.get("WAREHOUSE_PATH") or None
OPS_DB_URL = os.environ.get("OPS_DB_URL") or None
OPS_DB_AUTH_TOKEN = os.environ.get("OPS_DB_AUTH_TOKEN") or None
DBT_PROJECT_DIR = BASE_DIR / "analytics"
# Seconds a stage waits for the pipeline lock before giving up with a clear message.
PIPELINE_LOCK_TIMEOUT = env_number("PIPELINE_LOCK_TIMEOUT", 600.0, float)

# What one workbook may cost (pipeline_ops/pipeline/workbook/limits.py holds the defaults
# and says why; docs/configuration.md lists them). Set only to override.
WORKBOOK_LIMITS = (
    "WORKBOOK_MAX_BYTES", "WORKBOOK_MAX_ENTRIES", "WORKBOOK_MAX_ENTRY_BYTES",
    "WORKBOOK_MAX_PART_BYTES", "WORKBOOK_MAX_TOTAL_BYTES", "WORKBOOK_MAX_RATIO",
    "WORKBOOK_MAX_CELLS",
    "WORKBOOK_MAX_REFERENCE_ROWS", "WORKBOOK_READER_MEMORY", "WORKBOOK_READER_SECONDS",
)  # fmt: skip
for _name in WORKBOOK_LIMITS:
    if os.environ.get(_name, "").strip():
        globals()[_name] = env_number(_name, 0, minimum=1)

# The development key is too short on purpose: `check --deploy` flags it (security.W009)
# instead of refusing to start, so `make test` and CI need no environment.
SECRET_KEY = os.environ.get("SECRET_KEY", "atlas-ops-insecure-development-key-change-me")
# Off unless asked for: a forgotten variable must not put settings on every error page.
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# HTTPS (docs/operations.md, "Production checklist"). X-Forwarded-Proto is believed only
# when BEHIND_HTTPS_PROXY says a proxy we run sets it; otherwise any client could claim it.
BEHIND_HTTPS_PROXY = env_bool("BEHIND_HTTPS_PROXY", False)
if BEHIND_HTTPS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", BEHIND_HTTPS_PROXY)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", BEHIND_HTTPS_PROXY)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", BEHIND_HTTPS_PROXY)
# HSTS is sticky in browsers for its whole lifetime, so it is never on by default.
SECURE_HSTS_SECONDS = env_number("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_HTTPONLY = env_bool("SESSION_COOKIE_HTTPONLY", True)
X_FRAME_OPTIONS = os.environ.get("X_FRAME_OPTIONS", "DENY")
SECURE_CONTENT_TYPE_NOSNIFF = env_bool("SECURE_CONTENT_TYPE_NOSNIFF", True)
SECURE_REFERRER_POLICY = os.environ.get("SECURE_REFERRER_POLICY", "same-origin")
DEFAULT_EXCEPTION_REPORTER_FILTER = "config.error_filter.ConnectionStringFilter"
DEFAULT_EXCEPTION_REPORTER = "config.error_filter.ConnectionStringReporter"

INSTALLED_APPS = [
    # django.contrib.admin whose site refuses hostile filter values (pipeline_ops/site.py)
    "pipeline_ops.site.AtlasAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "csp",
    "django_q",
    "pipeline_ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# Strict: every script the admin runs is a static file. Styles may be inline because the
# admin's own templates, ours and the HTML reports use style= attributes and <style>.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Login throttling (django-axes). Locking username+address together means a guesser cannot
# lock a colleague out from elsewhere; `manage.py axes_reset` lifts every lock.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_number("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_number("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/lockout.html"
if BEHIND_HTTPS_PROXY:
    # Behind the proxy REMOTE_ADDR is the proxy; it must set X-Real-IP (overwriting any a
    # client sent) or every user would share one address and one lock.
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_REAL_IP", "REMOTE_ADDR")

ROOT_URLCONF = "config.urls"
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
            ],
        },
    },
]
WSGI_APPLICATION = "config.wsgi.application"

SQLITE_OPTIONS = {
    # WAL + busy timeout + IMMEDIATE: the web process and the django-q2 worker write at
    # the same time; without these the ORM broker hits "database is locked".
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 30,
}
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{PIPELINE_DATA_DIR / 'django.sqlite3'}",
        conn_max_age=0 if "sqlite" in os.environ.get("DATABASE_URL", "sqlite") else 60,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Django's backend, making the file's folder first (settings create no folder).
    DATABASES["default"]["ENGINE"] = "config.sqlite3"
    DATABASES["default"]["OPTIONS"] = dict(SQLITE_OPTIONS)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Django's four checks on every password set through the admin or `changepassword`: 8+
# characters, not a common one, not all digits, not like the user's name. Off only when
# PASSWORD_VALIDATION says so (a closed demo, say); users made in code are never checked.
_VALIDATORS = ("UserAttributeSimilarity", "MinimumLength", "CommonPassword", "NumericPassword")
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}Validator"} for name in _VALIDATORS
] if env_bool("PASSWORD_VALIDATION", True) else []  # fmt: skip
LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Jakarta")
USE_I18N = True
USE_TZ = True
# One format for dates and times in every admin page (config/formats/en/). Not
# USE_THOUSAND_SEPARATOR: it would print every integer in a template (years, ids in query
# strings) as 2,026; counts are formatted where shown (admin/display.number).
FORMAT_MODULE_PATH = ["config.formats"]
STATIC_URL = "static/"
STATIC_ROOT = PIPELINE_DATA_DIR / "static"
# Uploaded workbooks (docs/intake.md) go through Django's default storage: the web process
# saves them, the worker reads them. With web and worker on different hosts, point
# MEDIA_ROOT at a shared folder (or configure STORAGES["default"] for object storage).
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", PIPELINE_DATA_DIR / "uploads")).resolve()
MEDIA_URL = "media/"  # never served: downloads go through a permission-checked admin view
LOGIN_URL = "admin:login"

# The address staff open the admin at: links in e-mails (failure notices) start with it.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Mail is sent for real but nobody said where the admin is: links would point at this
# machine's default address. pipeline_ops/checks.py warns at start-up (atlas.W001).
SITE_URL_IS_DEFAULT = not os.environ.get("SITE_URL", "").strip()
# Mail (failure notices, report deliveries), Django's names (docs/configuration.md).
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_number("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    refuse("set EMAIL_USE_TLS (STARTTLS, port 587) or EMAIL_USE_SSL (port 465), not both")
# Seconds an SMTP connect, read or write may take: a hanging mail server never holds a worker.
EMAIL_TIMEOUT = env_number("EMAIL_TIMEOUT", 20.0, float, minimum=1, maximum=600)
if os.environ.get("EMAIL_FILE_PATH", "").strip():  # the file backend's folder
    EMAIL_FILE_PATH = os.environ["EMAIL_FILE_PATH"].strip()
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "atlas-ops@localhost")
# Tries of one report e-mail before its delivery is marked failed (pipeline/reports/delivery.py).
REPORT_MAIL_ATTEMPTS = env_number("REPORT_MAIL_ATTEMPTS", 3, minimum=1, maximum=20)

# django-q2: retry must exceed timeout or a long task is handed out twice;
# one attempt only, because a pipeline stage is not safe to replay blindly.
# The queue's name: installations sharing one Redis need their own (Q_CLUSTER_NAME).
Q_CLUSTER: dict = {
    "name": os.environ.get("Q_CLUSTER_NAME") or "atlas-ops",
    "workers": env_number("Q_WORKERS", 2, minimum=1),
    "timeout": env_number("Q_TIMEOUT", 1800, minimum=1),
    "retry": env_number("Q_RETRY", 2100, minimum=1),
    "max_attempts": 1,
    "catch_up": False,
    "save_limit": 500,
    "ack_failures": True,
    "label": "Task queue",
}
if os.environ.get("Q_REDIS_URL"):
    Q_CLUSTER["redis"] = os.environ["Q_REDIS_URL"]
else:
    Q_CLUSTER["orm"] = "default"
# Each django-q2 cluster saves its state every few seconds (Redis keeps it with Redis; the
# ORM broker keeps it in this cache), and the admin index reads it to say whether a worker
# is running. A file cache is shared by the worker and web processes of one host, which
# the default per-process memory cache is not.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "qstats": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(PIPELINE_DATA_DIR / "qstats"),
    },
}
Q_CLUSTER["cache"] = "qstats"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # The worker's one line per task start, end and failure (runs/launch.py).
    "loggers": {"pipeline_ops": {"level": os.environ.get("LOG_LEVEL", "INFO")}},
}
