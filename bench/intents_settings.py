"""Settings for bench/intents_confirm.py's gunicorn: the real settings plus the baseline route."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.intents_urls"
