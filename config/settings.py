"""Settings, all from the environment, with embedded defaults (DESIGN §3)."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


PIPELINE_DATA_DIR = Path(os.environ.get("PIPELINE_DATA_DIR", BASE_DIR / "var")).resolve()
PIPELINE_DATA_DIR.mkdir(parents=True, exist_ok=True)
# Unset = derived from PIPELINE_DATA_DIR (see pipeline_ops/pipeline/paths.py).
WAREHOUSE_PATH = os.environ.get("WAREHOUSE_PATH") or None
OPS_DB_URL = os.environ.get("OPS_DB_URL") or None
OPS_DB_AUTH_TOKEN = os.environ.get("OPS_DB_AUTH_TOKEN") or None
DBT_PROJECT_DIR = BASE_DIR / "analytics"
# Seconds a stage waits for the pipeline lock before giving up with a clear message.
PIPELINE_LOCK_TIMEOUT = float(os.environ.get("PIPELINE_LOCK_TIMEOUT", "600"))

SECRET_KEY = os.environ.get("SECRET_KEY", "atlas-ops-insecure-development-key-change-me")
DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_q",
    "pipeline_ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

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
    DATABASES["default"]["OPTIONS"] = dict(SQLITE_OPTIONS)
    # A file (not :memory:) so a worker subprocess started by a test sees the test data.
    test_db = PIPELINE_DATA_DIR / f"test_django_{os.getpid()}.sqlite3"
    DATABASES["default"]["TEST"] = {"NAME": str(test_db)}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_PASSWORD_VALIDATORS: list[dict] = []
LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Jakarta")
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = PIPELINE_DATA_DIR / "static"
LOGIN_URL = "admin:login"

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "atlas-ops@localhost")

# django-q2: retry must exceed timeout or a long task is handed out twice;
# one attempt only, because a pipeline stage is not safe to replay blindly.
Q_CLUSTER: dict = {
    "name": "atlas-ops",
    "workers": int(os.environ.get("Q_WORKERS", "2")),
    "timeout": int(os.environ.get("Q_TIMEOUT", "1800")),
    "retry": int(os.environ.get("Q_RETRY", "2100")),
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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
