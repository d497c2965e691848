"""Production settings with WhiteNoise's compression left out, for the collectstatic test.

Hashing the files and rewriting their references is what fails on a vendored file that
points at a missing one; compressing every file only makes that test a minute slower.
"""

from portal.settings.production import *  # noqa: F403
from portal.settings.production import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
