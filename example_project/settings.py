"""Settings of the example shop, read from the environment with django-environ.

With DEBUG on and no ATTENTIVE_API_TOKEN the demo texts the fake Attentive mounted in this
same server, over real HTTP, so nothing leaves the machine. With DEBUG off the fake is never
mounted (anyone could read its inbox): without a token texts are printed to the console.
Secrets not given in the environment are made once per install (docs/security.md).
"""

from pathlib import Path

import environ

from example_project.demo_secrets import demo_secret

BASE_DIR = Path(__file__).resolve().parent
env = environ.Env(DEBUG=(bool, True))

# SECRET_KEY and the demo's webhook key: from the environment, else random ones made on first
# start and kept in this (git-ignored) file; a throwaway run points it elsewhere.
DEMO_SECRETS_FILE = Path(env("DEMO_SECRETS_FILE", default=BASE_DIR.parent / ".demo-secrets.json"))
SECRET_KEY = env("SECRET_KEY", default="") or demo_secret(DEMO_SECRETS_FILE, "SECRET_KEY")
DEBUG = env("DEBUG")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc as static files: no CDN needed
    "django_attentive",
    "example_project.shop",
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

ROOT_URLCONF = "example_project.urls"
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
            ]
        },
    }
]
WSGI_APPLICATION = "example_project.wsgi.application"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The worker and the server write at once: take the write lock up front and wait for it,
    # instead of failing with "database is locked" (README, "Running workers").
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL;",
        **DATABASES["default"].get("OPTIONS", {}),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_TZ = True
STATIC_URL = "static/"

DEMO_PORT = env("PORT", default="8000")
# demo_setup keeps the admin's password here; a throwaway DATABASE_URL (the CI smoke run of
# the demo) points it elsewhere so the developer's own login stays valid.
DEMO_ADMIN_FILE = env.path("DEMO_ADMIN_FILE", default=BASE_DIR.parent / ".demo-admin")
ATTENTIVE_API_TOKEN = env("ATTENTIVE_API_TOKEN", default="")
# The demo's fake Attentive lives in this server, in development only: its inbox and knobs are
# open to anyone who can reach it. A real token switches to Attentive itself.
USE_FAKE_ATTENTIVE = DEBUG and not ATTENTIVE_API_TOKEN
# DEBUG off and no token: nothing to send to, so texts are printed (numbers masked).
_DEFAULT_BACKEND = (
    "django_attentive.backends.http.HttpBackend"
    if ATTENTIVE_API_TOKEN or USE_FAKE_ATTENTIVE
    else "django_attentive.backends.console.ConsoleBackend"
)

ATTENTIVE = {
    "API_TOKEN": ATTENTIVE_API_TOKEN or ("demo-token-for-the-fake" if USE_FAKE_ATTENTIVE else ""),
    # The fake serves both transports: ATTENTIVE_BACKEND=...text_send.TextSendBackend tries
    # Attentive's current API (README, "Choosing a transport").
    "BACKEND": env("ATTENTIVE_BACKEND", default=_DEFAULT_BACKEND),
    "ORDER_EVENTS_AS": env("ATTENTIVE_ORDER_EVENTS_AS", default="text"),
    "BRAND_PREFIX": env("ATTENTIVE_BRAND_PREFIX", default=""),
    # Product views, cart additions and purchases for Attentive's journeys (docs/commerce.md).
    "COMMERCE_EVENTS": env.bool("ATTENTIVE_COMMERCE_EVENTS", default=True),
    "COMMERCE_ITEM": "example_project.shop.commerce.order_item",
    "IDENTIFY_ON_LOGIN": env.bool("ATTENTIVE_IDENTIFY_ON_LOGIN", default=False),
    # Marketing texts wait out 21:00-08:00 in the recipient's zone. Against the fake the demo
    # texts at any hour (ATTENTIVE_QUIET_HOURS=on to see the hold); with a real token it holds.
    "QUIET_HOURS": (
        ("21:00", "08:00")
        if env.bool("ATTENTIVE_QUIET_HOURS", default=not USE_FAKE_ATTENTIVE)
        else None
    ),
    # Against the fake, a per-install key so webhooks can be tried (docs/compliance.md).
    "WEBHOOK_SECRET": env("ATTENTIVE_WEBHOOK_SECRET", default="")
    or (demo_secret(DEMO_SECRETS_FILE, "WEBHOOK_SECRET") if USE_FAKE_ATTENTIVE else ""),
    # Consent capture (docs/consent.md): the words next to the checkout's boxes and the
    # sign-up form at /attentive/subscribe/, and the Attentive sign-up units subscribers join.
    # Against the fake any id works; with a real token, set the ids of your API sign-up units.
    "CONSENT": {
        "SHOP_NAME": env("SHOP_NAME", default="Demo shop"),
        "TERMS_URL": env("SHOP_TERMS_URL", default=f"http://127.0.0.1:{DEMO_PORT}/shop/terms/"),
        "PRIVACY_URL": env(
            "SHOP_PRIVACY_URL", default=f"http://127.0.0.1:{DEMO_PORT}/shop/privacy/"
        ),
        "SIGN_UP_SOURCE_IDS": {
            "MARKETING": env(
                "ATTENTIVE_SIGN_UP_SOURCE_MARKETING", default="1001" if USE_FAKE_ATTENTIVE else ""
            ),
            "TRANSACTIONAL": env(
                "ATTENTIVE_SIGN_UP_SOURCE_TRANSACTIONAL",
                default="1002" if USE_FAKE_ATTENTIVE else "",
            ),
        },
    },
}
# Without ATTENTIVE_BASE_URL a real token goes to the chosen transport's own Attentive host.
_base_url = env(
    "ATTENTIVE_BASE_URL",
    default=f"http://127.0.0.1:{DEMO_PORT}/fake-attentive" if USE_FAKE_ATTENTIVE else "",
)
if _base_url:
    ATTENTIVE["BASE_URL"] = _base_url

# The REST API (docs/api.md): session login for the browsable API, tokens for other services.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_THROTTLE_RATES": {"attentive": env("ATTENTIVE_API_THROTTLE", default="120/min")},
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "django-attentive",
    "DESCRIPTION": "Send and track texts to your shop's customers through Attentive.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # /api/docs/ loads Swagger UI from drf_spectacular_sidecar's static files, so it works
    # offline (runserver serves them with DEBUG on; collectstatic otherwise).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django_attentive": {"handlers": ["console"], "level": "INFO"}},
}
