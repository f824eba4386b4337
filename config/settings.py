"""Clearhouse settings: one module, read from the environment with django-environ.

The defaults are the embedded demo (SQLite file, filesystem Celery broker, local-memory cache).
`DATABASE_URL`, `CELERY_BROKER_URL` and `CACHE_URL` switch to PostgreSQL and Redis.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.templatetags.static import static

from apps.core import demo_secrets

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("CLEARHOUSE_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
# "demo" (the default: `make run`, tests) or "production". In production the system checks
# (apps.core.checks, run by `manage.py check --deploy`, migrate, web/worker/beat start)
# refuse to go on while SECRET_KEY, VAULT_KEYS, VAULT_FINGERPRINT_KEY or FIELD_ENCRYPTION_KEYS
# still has its demo value (apps.core.demo_secrets). Live-mode vault writes refuse the demo vault
# key in every environment.
CLEARHOUSE_ENV = env.str("CLEARHOUSE_ENV", default="demo")
# The embedded demo key is only for local runs; production must set SECRET_KEY.
SECRET_KEY = env.str("SECRET_KEY", default=demo_secrets.SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["*"])
# Proxies whose X-Real-IP names the client (apps.core.middleware.client_ip_of): the shipped nginx
# runs on the loopback. Addresses or networks, comma-separated.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=["127.0.0.1", "::1"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Basic config: the admin site class comes from apps.backoffice.admin_config (2FA, dashboard).
    "unfold.apps.BasicAppConfig",
    "unfold.contrib.filters",
    "unfold.contrib.forms",
    "apps.backoffice.admin_config.BackOfficeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    # Swagger UI's files, served by us (whitenoise): /v1/docs needs no CDN.
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_prometheus",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "pgtrigger",
    "pghistory",
    "apps.core",
    "apps.merchants",
    "apps.audit",
    "apps.vault",
    "apps.files",
    "apps.connectors",
    "apps.intents",
    "apps.refunds",
    "apps.disputes",
    "apps.ledger",
    "apps.payouts",
    "apps.webhooks",
    "apps.approvals",
    "apps.routing",
    "apps.risk",
    "apps.reconciliation",
    # The back office has no models; apps.core.roles syncs the roles after the last app with models.
    "apps.backoffice",
    "apps.reporting",
    "apps.devtools",
]

MIDDLEWARE = [
    # /v1/ forks here into API_MIDDLEWARE below; everything else runs the rest of this list.
    "apps.core.middleware.ApiStackMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "apps.core.middleware.RequestIdMiddleware",
    "apps.core.middleware.UnsafeTextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "apps.audit.middleware.HistoryContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]
# The merchant API's stack (apps.core.middleware.ApiStackMiddleware): what an API-key request
# needs — metrics, request id (and log context), the unsafe-text guard, the security headers,
# CommonMiddleware (the ALLOWED_HOSTS check, Content-Length), pghistory's context on the
# configuration endpoints and X-Frame-Options — without sessions, CSRF, Django's auth, OTP,
# messages or static files: an API request authenticates by key in DRF and carries no cookie.
API_PATH_PREFIX = "/v1/"
API_MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "apps.core.middleware.RequestIdMiddleware",
    "apps.core.middleware.UnsafeTextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "apps.audit.middleware.HistoryContextMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]
# /metrics answers a scraper sending `Authorization: Bearer <METRICS_TOKEN>`, or a loopback
# client not coming through a proxy (X-Forwarded-For/Forwarded/X-Real-IP); everyone else gets 403.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# Under gunicorn with several workers set PROMETHEUS_MULTIPROC_DIR (an empty directory) so /metrics
# aggregates every worker (prometheus_client's multiprocess mode).

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'clearhouse.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share the file: WAL lets readers run beside one writer, IMMEDIATE
    # takes the write lock up front so concurrent writers wait instead of failing mid-transaction.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # Covering-index columns (INCLUDE) are a PostgreSQL optimisation; SQLite ignores them.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend, with a health check that sends no SELECT 1 on a connection used in the
        # last 30 s whose socket has nothing to read (apps/core/db/base.py).
        DATABASES["default"]["ENGINE"] = "apps.core.db"
        # The hot path's statements prepared on the server once per connection (psycopg's
        # prepare_threshold; apps.core.sql.hot_cursor). Django's own client-binding cursors never
        # prepare, so only those are. Off behind a pooler that shares server sessions between
        # clients (pgbouncer transaction mode before 1.21): a prepared statement lives in one.
        if env.bool("DATABASE_PREPARE", default=True):
            DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 5)
        # DATABASE_POOL="<min>:<max>" per process: Django's psycopg pool instead of one persistent
        # connection (CONN_MAX_AGE must then be 0: the pool keeps the connections); its checkout
        # check is the same socket look as above (apps/core/db/base.py), not an empty query.
        if pool := env.str("DATABASE_POOL", default=""):
            low, _, high = pool.partition(":")
            DATABASES["default"]["CONN_MAX_AGE"] = 0
            DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
                "min_size": int(low),
                "max_size": int(high or low),
                "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),
            }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://clearhouse")}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# Datetimes with their zone everywhere in the back office (config/formats/en/formats.py).
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
WHITENOISE_USE_FINDERS = True

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["apps.merchants.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["apps.merchants.permissions.ApiKeyPermission"],
    # orjson, byte for byte what DRF's JSONRenderer writes (apps/core/renderers.py)
    "DEFAULT_RENDERER_CLASSES": ["apps.core.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "apps.core.parsers.JSONParser",
        "apps.core.parsers.FormParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["apps.core.throttling.ApiKeyRateThrottle"],
    "EXCEPTION_HANDLER": "apps.core.exception_handler.handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_RATES": {"merchant": env.str("API_RATE_LIMIT", default="6000/min")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Clearhouse API",
    "DESCRIPTION": "Stripe-shaped merchant API: customers, payment methods, payment intents, refunds, "
    "payouts, balances, events and webhooks. Amounts are integer minor units.",
    "VERSION": "2026-11-01",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.core.schema.idempotency_conflicts",
    ],
    "ENUM_NAME_OVERRIDES": {
        "PaymentMethodTypeEnum": "apps.merchants.models.DEFAULT_PAYMENT_METHOD_TYPES",
        "CaptureMethodEnum": ["automatic", "manual"],
        "ListObjectEnum": ["list"],
        "CustomerObjectEnum": ["customer"],
        # item components shared by two shapes (full and client-side intent; an object and its deleted shape)
        "PaymentIntentObjectEnum": ["payment_intent"],
        "PaymentIntentStatusEnum": "apps.intents.models.PaymentIntent.Status",
        "PaymentIntentCancellationReasonEnum": "apps.intents.models.PaymentIntent.CancellationReason",
        "BankAccountObjectEnum": ["bank_account"],
        "ConnectorObjectEnum": ["connector"],
        "RiskRuleObjectEnum": ["risk.rule"],
        "RadarValueListObjectEnum": ["radar.value_list"],
        "RadarValueListItemObjectEnum": ["radar.value_list_item"],
        "RiskRuleActionEnum": "apps.risk.models.RuleAction",
        # reconciliation (apps.reconciliation.outputs): a sync and a run share their statuses
        "ReconciliationStatusEnum": "apps.reconciliation.models.ReconciliationRun.Status",
        "SettlementFileStatusEnum": "apps.reconciliation.models.SettlementFile.Status",
        "ReconciliationLedgerItemStatusEnum": "apps.reconciliation.models.LedgerItem.Status",
        "DiscrepancyStatusEnum": "apps.reconciliation.models.Discrepancy.Status",
        # reporting (apps.reporting.outputs): a run's format is its file's type; a schedule and its
        # deleted shape share `object`, as a file and a report run's file do
        "ReportFormatEnum": "apps.reporting.models.ReportRun.Format",
        "ReportingReportScheduleObjectEnum": ["reporting.report_schedule"],
        "FileObjectEnum": ["file"],
        # devtools (apps.devtools.outputs): a test clock and its deleted shape
        "TestHelpersTestClockObjectEnum": ["test_helpers.test_clock"],
        "BulkJobKindEnum": "apps.devtools.models.BulkJob.Kind",
        "ReportColumnKindEnum": "apps.reporting.outputs.COLUMN_KINDS",
        "DiscrepancyResolveActionEnum": [
            *("ignore", "mark_received", "link", "force_match"),
            *("write_off", "accept_as_fee", "edit_line"),
        ],
    },
}
API_VERSION = "2026-11-01"
# Where shoppers' browsers reach this server (3DS / wallet next_action URLs, hosted pages). Empty:
# the scheme and host each request came in on (apps.core.context.public_base_url).
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="")

# Idempotency: how long keys live, and how long a concurrent duplicate waits for the first
# request to finish before it is answered 409.
IDEMPOTENCY_KEY_TTL_HOURS = env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24)
IDEMPOTENCY_WAIT_SECONDS = env.float("IDEMPOTENCY_WAIT_SECONDS", default=5.0)

# --- Vault (keys separate from SECRET_KEY) ----------------------------------------------------
# "v1:<base64 32 bytes>,v2:<base64 32 bytes>"; the embedded demo key must never be used in live mode.
VAULT_KEYS = env.str("VAULT_KEYS", default=demo_secrets.VAULT_KEYS)
VAULT_ACTIVE_KEY_VERSION = env.str("VAULT_ACTIVE_KEY_VERSION", default="")
VAULT_FINGERPRINT_KEY = env.str("VAULT_FINGERPRINT_KEY", default=demo_secrets.VAULT_FINGERPRINT_KEY)
# Secrets at rest outside the vault (webhook signing secrets, connector credentials).
FIELD_ENCRYPTION_KEYS = env.str("FIELD_ENCRYPTION_KEYS", default=demo_secrets.FIELD_ENCRYPTION_KEYS)

# --- Celery -----------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        # kombu's filesystem transport reads one message per poll: at its default 1 s, the demo's
        # burst of webhook fan-outs would queue the beat's jobs behind it for minutes.
        "polling_interval": 0.1,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {"visibility_timeout": 3600}
)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="clearhouse")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"

# --- Payment intents ----------------------------------------------------------------------------
# The money path's writes as one data-modifying statement per transaction (apps/core/sql.py,
# issue 21). PostgreSQL only; SQLite always takes the ORM path. Off: the ORM path everywhere.
INTENTS_HOT_SQL = env.bool("INTENTS_HOT_SQL", default=True)

# --- Ledger and payouts -------------------------------------------------------------------------
# A capture in another currency than the merchant's settlement currency uses the latest rate not
# older than this; without one it settles in its own currency and is flagged for finance.
LEDGER_FX_MAX_RATE_AGE_HOURS = env.int("LEDGER_FX_MAX_RATE_AGE_HOURS", default=24)
# Dotted path of a rate provider for the hourly refresh task ("" = off; the demo provider is
# "apps.ledger.fx.sandbox_provider").
LEDGER_FX_PROVIDER = env.str("LEDGER_FX_PROVIDER", default="")
# How long the sandbox bank keeps a payout in transit before answering paid or failed.
PAYOUTS_SANDBOX_SETTLE_SECONDS = env.int("PAYOUTS_SANDBOX_SETTLE_SECONDS", default=60)

# Reconciliation: an unsettled ledger item is missing after T+N days, a batch without its bank
# credit after T+M; write-offs and force-matches whose difference exceeds the threshold (minor
# units) need a second finance approver (0: every one does).
RECONCILIATION_SETTLEMENT_SLA_DAYS = env.int("RECONCILIATION_SETTLEMENT_SLA_DAYS", default=2)
RECONCILIATION_BANK_SLA_DAYS = env.int("RECONCILIATION_BANK_SLA_DAYS", default=3)
RECONCILIATION_APPROVAL_THRESHOLD = env.int("RECONCILIATION_APPROVAL_THRESHOLD", default=0)

# --- Files and disputes --------------------------------------------------------------------------
# Uploaded files (POST /v1/files) go to the `files` storage alias: a folder under MEDIA_ROOT by
# default; "storages.backends.s3.S3Storage" (django-storages, with its AWS_* settings) for S3.
STORAGES["files"] = {
    "BACKEND": env.str("FILES_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"),
    "OPTIONS": {"location": str(MEDIA_ROOT / "files")}
    if env.str("FILES_STORAGE_BACKEND", default="").endswith("FileSystemStorage")
    or not env.str("FILES_STORAGE_BACKEND", default="")
    else {},
}
# Limits (apps/files/limits.py names their sources): per file, and per dispute for its evidence files.
FILES_MAX_BYTES = env.int("FILES_MAX_BYTES", default=5 * 1024 * 1024)
DISPUTE_EVIDENCE_MAX_BYTES = env.int("DISPUTE_EVIDENCE_MAX_BYTES", default=4_718_592)
# Seconds a file object's signed download URL stays valid.
FILES_URL_MAX_AGE = env.int("FILES_URL_MAX_AGE", default=3600)
# The dispute fee withdrawn with a chargeback, in minor units per settlement currency (Stripe's
# 15.00 USD and its like amount elsewhere); a merchant's dispute settings override it per currency.
DISPUTE_FEES = {"USD": 1500, "EUR": 1500, "GBP": 1500, "CAD": 1500, "AUD": 1500, "CHF": 1500}
# Whether a won dispute also returns the fee (Stripe keeps it; some acquirers refund it).
DISPUTE_FEE_REFUNDED_ON_WIN = env.bool("DISPUTE_FEE_REFUNDED_ON_WIN", default=False)
# Days the acquirer keeps of the network's response window (apps/disputes/deadlines.py).
DISPUTE_ACQUIRER_BUFFER_DAYS = env.int("DISPUTE_ACQUIRER_BUFFER_DAYS", default=7)
# How long after the fact the sandbox acquirer sends its dispute callbacks (the demo shows them arrive).
SANDBOX_DISPUTE_DELAY_SECONDS = env.int("SANDBOX_DISPUTE_DELAY_SECONDS", default=15)

# --- Back office ------------------------------------------------------------------------------
ADMIN_2FA_REQUIRED = env.bool("ADMIN_2FA_REQUIRED", default=True)
# Test mode may deliver webhooks to localhost/private addresses; live mode never does.
WEBHOOKS_ALLOW_PRIVATE_URLS_IN_TEST_MODE = env.bool("WEBHOOKS_ALLOW_PRIVATE_URLS_IN_TEST_MODE", default=True)
# Outbound delivery: per-attempt HTTP timeout; a delivery published but not sent after this long is
# published again by the sweeper; events not enqueued after the grace are fanned out by the sweeper.
WEBHOOKS_DELIVERY_TIMEOUT_SECONDS = env.float("WEBHOOKS_DELIVERY_TIMEOUT_SECONDS", default=15.0)
WEBHOOKS_REENQUEUE_AFTER_SECONDS = env.int("WEBHOOKS_REENQUEUE_AFTER_SECONDS", default=60)
WEBHOOKS_OUTBOX_GRACE_SECONDS = env.int("WEBHOOKS_OUTBOX_GRACE_SECONDS", default=10)
WEBHOOKS_EVENT_RETENTION_DAYS = env.int("WEBHOOKS_EVENT_RETENTION_DAYS", default=30)
# Concurrent sending (apps/webhooks/sender.py): requests in flight per worker process and per
# endpoint; a claim's lease lasts the timeout plus this margin before another worker may take it.
WEBHOOKS_SENDER_CONCURRENCY = env.int("WEBHOOKS_SENDER_CONCURRENCY", default=100)
WEBHOOKS_ENDPOINT_CONCURRENCY = env.int("WEBHOOKS_ENDPOINT_CONCURRENCY", default=10)
WEBHOOKS_LEASE_MARGIN_SECONDS = env.float("WEBHOOKS_LEASE_MARGIN_SECONDS", default=15.0)

UNFOLD = {
    "SITE_TITLE": "Clearhouse back office",
    "SITE_HEADER": "Clearhouse",
    "SITE_SYMBOL": "account_balance",
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": False,
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": True,
        # Grouped by workflow; links to models that are not registered (yet) are left out.
        "navigation": "apps.backoffice.navigation.sidebar_navigation",
    },
    "DASHBOARD_CALLBACK": "apps.backoffice.dashboard.dashboard_callback",
    "STYLES": [lambda request: static("backoffice/backoffice.css")],
    "COMMAND": {"search_callback": "apps.backoffice.search.command_search", "show_history": True},
}
# Field-level history of configuration (django-pghistory): event tables refuse UPDATE/DELETE.
PGHISTORY_APPEND_ONLY = True
PGHISTORY_ADMIN_MODEL = "pghistory.Events"
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

LOG_FORMAT = env.str("LOG_FORMAT", default="plain").strip().lower()
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "apps.core.logging.RequestIdFilter"}},
    "formatters": {
        # Control characters in anything logged are escaped: request data cannot forge a line.
        "plain": {
            "()": "apps.core.logging.EscapingFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
        # LOG_FORMAT=json: one JSON object a line with request id, merchant and key display prefix.
        "json": {"()": "apps.core.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Provider SDKs log whole request bodies at DEBUG (stripe-python: the form it posts, card
        # number and CVC included). Never below INFO, whatever LOG_LEVEL says: our own connector
        # log (apps.connectors.observe) keeps the redacted exchanges.
        **{
            name: {"level": "INFO"}
            for name in ("stripe", "Adyen", "checkout_sdk", "square", "httpcore", "urllib3")
        },
        # httpx logs every request at INFO: a line per webhook delivery (apps.webhooks.sender);
        # each attempt is a DeliveryAttempt row and failures are logged by the recorder.
        "httpx": {"level": "WARNING"},
    },
}

# --- Developer platform (apps.devtools) ---------------------------------------------------------
# A bulk job whose total in one currency is above this (minor units) waits for a checker.
BULK_JOB_APPROVAL_THRESHOLD = env.int("BULK_JOB_APPROVAL_THRESHOLD", default=1_000_000)
# /ready reports the beat heartbeat as stale after this many seconds (it is written every 15 s).
SCHEDULER_STALE_SECONDS = env.int("SCHEDULER_STALE_SECONDS", default=60)
