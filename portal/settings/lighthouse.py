"""Settings for `make lighthouse` (scripts/lighthouse.py): the zero-setup portal of `make run`
served as production serves its pages: DEBUG off, static files hashed and compressed by
WhiteNoise (CompressedManifestStaticFilesStorage), cached long by their hashed names."""

from .dev import *  # noqa: F403
from .dev import STORAGES, env

DEBUG = False
STATIC_ROOT = env.path("STATIC_ROOT")
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}
