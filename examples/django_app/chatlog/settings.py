"""A minimal project: one app, no database, and the synap-sync client configured from settings."""

import os

SECRET_KEY = "example-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "chatlog.urls"
INSTALLED_APPS = ["conversations"]
MIDDLEWARE = []
DATABASES = {}
USE_TZ = True

# SynapClient's options; what is left out comes from SYNAP_API_KEY / SYNAP_BASE_URL in the environment.
SYNAP_SYNC = {
    "api_key": os.environ.get("SYNAP_API_KEY", "synap_set_me"),
    "deadline": 30.0,
}

LOGGING = {
    "version": 1,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"synap_sync": {"handlers": ["console"], "level": "INFO"}},
}
