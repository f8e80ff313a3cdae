"""The portal's own settings plus one bare view, so both run under the same gunicorn and middleware."""

from dsar.settings import *  # noqa: F403

ROOT_URLCONF = "bench.baseline.urls"
